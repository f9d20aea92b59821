# animerec: the Discord bot, its SQLite store and its models in one container (or one shard of several
# on PostgreSQL: deploy/docker-compose.yml, docs/deploy.md).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    ANIMEREC_DATA_DIR=/data \
    NUMBA_CACHE_DIR=/data/numba-cache

WORKDIR /app
# The wheel, not the source tree: the bundled data ships inside the package. annoy builds from
# source, so a compiler is installed for the build and dropped afterwards to keep the image slim.
# IPA Gothic (3.5 MB) stays: the kana and kanji of Japanese titles and names on /taste's picture.
COPY pyproject.toml README.md ./
COPY animerec ./animerec
RUN apt-get update \
    && apt-get install -y --no-install-recommends g++ fonts-ipafont-gothic \
    && pip wheel --no-deps --wheel-dir /tmp/wheels . \
    && pip install "$(ls /tmp/wheels/animerec-*.whl)[postgres]" \
    && rm -rf /tmp/wheels /app/animerec \
    && apt-get purge -y g++ && apt-get autoremove -y && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --create-home animerec \
    && mkdir -p /data /models && chown animerec /data /models

USER animerec
# The SQLite database, the published models and the heartbeat live here: keep it across upgrades.
VOLUME ["/data"]

# Fails when the bot has not been connected to Discord for 90 s (see animerec/bot/app/health.py).
HEALTHCHECK --interval=30s --timeout=10s --start-period=120s --retries=3 \
    CMD ["animerec", "--healthcheck"]

CMD ["animerec"]
