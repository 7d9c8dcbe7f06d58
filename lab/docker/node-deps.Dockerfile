# The project's production dependencies on the Node image, for builds where npm inside
# `docker build` cannot reach the registry: lab/docker/build-images runs
# `npm ci --omit=dev --ignore-scripts` with this host's npm in a temporary folder (its build
# context, holding ./node_modules) and tags the result by the lock file's hash. The harness
# image then skips its own npm ci.
ARG NODE_IMAGE=node:20-bookworm-slim
FROM ${NODE_IMAGE}
COPY node_modules /opt/sbc-harness/node_modules
