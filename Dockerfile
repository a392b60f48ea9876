# The platform image: the `tilsyn` command with its dependencies, run as an unprivileged user.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY src ./src
COPY platform ./platform
COPY firmware-sim ./firmware-sim
COPY routing ./routing
COPY edge ./edge
COPY broker ./broker
RUN pip install . && useradd --system --uid 10001 tilsyn
USER tilsyn
EXPOSE 8000
CMD ["tilsyn", "serve"]
