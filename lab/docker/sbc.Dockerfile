# The lab SBC: Debian 12's Kamailio 5.6 and rtpengine 10.5 (userspace, no kernel module),
# configured by the repository's lab/ folder, mounted read-only at /opt/sbc-harness/lab.
# BASE_IMAGE: debian:bookworm-slim from a registry, or the debootstrap image that
# lab/docker/build-images makes where no registry can be reached.
ARG BASE_IMAGE=debian:bookworm-slim
FROM ${BASE_IMAGE}
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      kamailio kamailio-extra-modules kamailio-tls-modules rtpengine-daemon iproute2 \
 && rm -rf /var/lib/apt/lists/*
ENV LAB_RUN_DIR=/run/sbc-lab
CMD ["/opt/sbc-harness/lab/sbc/start", "--foreground"]
