# The harness: provider and OXO simulators plus the plan runner, built from this repository.
# NODE_IMAGE: node:20-bookworm-slim from a registry, or the image with the host's Node (and the
# project's dependencies) that lab/docker/build-images makes where no registry can be reached.
ARG NODE_IMAGE=node:20-bookworm-slim
FROM ${NODE_IMAGE}
ARG NODE_IMAGE
# No system library: every codec of the plan, G.729 included, is ours in TypeScript (libbcg729 is
# only the tests' oracle, and the tests do not run in this image), so the compose run in CI also
# shows that the plan needs no libbcg729 (8-1-2 judged, docs/lab-verdicts.md).
WORKDIR /opt/sbc-harness
COPY package.json package-lock.json ./
# node_modules may come with NODE_IMAGE (lab/docker/node-deps.Dockerfile, the same lock file)
RUN if [ -d node_modules ]; then echo "dependencies from $NODE_IMAGE"; else npm ci --omit=dev --ignore-scripts; fi
COPY bin ./bin
COPY codecs ./codecs
COPY harness ./harness
COPY scenarios ./scenarios
COPY reports ./reports
COPY profiles ./profiles
COPY lab ./lab
COPY tsconfig.json ./
ENTRYPOINT ["/opt/sbc-harness/lab/docker/harness-entry"]
CMD ["run", "--quick"]
