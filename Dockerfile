# The monitor's image: web, worker and beat all run from it (see docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Install the project (runtime dependencies only, no dev extras), then drop the sources so
# that only the installed package is importable.
WORKDIR /src
COPY pyproject.toml README.md ./
COPY monitor ./monitor
COPY workers ./workers
RUN pip install . && rm -rf /src

# An unprivileged user owns only the data folder (generated secret key, digest outbox).
RUN useradd --system --uid 10001 --user-group --create-home --home-dir /home/monitor monitor \
    && mkdir -p /app/data /app/evidence /config \
    && chown monitor:monitor /app/data /app/evidence
WORKDIR /app
USER monitor

ENV MONITOR_CONFIG=/config/monitor.toml
EXPOSE 8000
CMD ["monitor", "web", "--host", "0.0.0.0", "--port", "8000"]
