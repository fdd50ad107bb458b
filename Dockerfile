# BreachDB daemon: `docker run -v /srv/breachdb:/data -p 8080:8080 breachdb`
# serves /data/index.idx (and /data/ntlm.idx when BREACHDB_NTLM_INDEX is set).

FROM swift:6.1-bookworm AS build
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends liblmdb-dev libxxhash-dev zlib1g-dev libdeflate-dev libbrotli-dev libssl-dev libargon2-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN swift build -c release --product breachdb --static-swift-stdlib \
    && install -D "$(swift build -c release --show-bin-path)/breachdb" /out/breachdb \
    && cp -r "$(swift build -c release --show-bin-path)/BreachDB_AccountPages.resources" /out/

FROM debian:bookworm-slim
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends liblmdb0 libxxhash0 zlib1g libdeflate0 libbrotli1 libssl3 libargon2-1 curl ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --no-create-home breachdb
# The account pages' templates, messages and stylesheet are read from beside the binary.
COPY --from=build /out/ /usr/local/bin/
USER 10001
VOLUME ["/data"]
ENV BREACHDB_INDEX=/data/index.idx \
    BREACHDB_HOST=0.0.0.0 \
    BREACHDB_PORT=8080
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s --start-period=60s CMD ["curl", "-fsS", "http://127.0.0.1:8080/healthz"]
ENTRYPOINT ["breachdb"]
CMD ["serve"]
