# expect-next-line: base-image-pinned
FROM python AS build
# expect-next-line: base-image-pinned
from node:20 \
  as web
# expect-next-line: base-image-pinned
FROM nginx:latest
COPY --from=build /app /app
