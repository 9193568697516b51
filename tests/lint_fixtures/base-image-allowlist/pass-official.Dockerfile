# syntax=docker/dockerfile:1
ARG PY=3.11.9
FROM python:${PY}-slim AS build
RUN pip wheel . -w /wheels
FROM gcr.io/distroless/python3-debian12:nonroot AS run
COPY --from=build /wheels /wheels
FROM build AS test
FROM scratch
