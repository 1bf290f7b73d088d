# The semisuper web app: `docker build -t semisuper-app . && docker run -p 8080:8080 semisuper-app`
# then open http://localhost:8080. Serves the bundled student (semisuper/bundled/) on the TensorFlow backend.
FROM python:3.11-slim
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 KERAS_BACKEND=tensorflow TF_CPP_MIN_LOG_LEVEL=2 \
    MPLBACKEND=Agg PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY semisuper ./semisuper
RUN pip install . && useradd --create-home --uid 10001 app
USER app
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/api/health', timeout=4)"
CMD ["semisuper", "serve", "--host", "0.0.0.0", "--port", "8080"]
