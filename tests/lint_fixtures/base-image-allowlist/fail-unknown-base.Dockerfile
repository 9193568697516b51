ARG REGISTRY=quay.io/someone
# expect-next-line: base-image-allowlist
FROM --platform=$BUILDPLATFORM ${REGISTRY}/builder:1.2.3 AS build
RUN make
# expect-next-line: base-image-allowlist
FROM $UNSET_BASE
# expect-next-line: base-image-allowlist
FROM randomuser/python:3.11.9
COPY --from=build /out /app
