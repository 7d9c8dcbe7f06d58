# The harness: provider and OXO simulators plus the plan runner, built from this repository.
FROM node:20-bookworm-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libbcg729-0 \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/sbc-harness
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts
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
