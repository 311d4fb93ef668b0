# One image for every StoreChat host: `storechat serve --role web` or `--role worker`
# (docs/deploy.md). Docker cannot run on the machines StoreChat is developed on; the same
# topology is run natively, on loopback, by tools/topology/run.py and tests/test_topology.py.
FROM python:3.12-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    STORECHAT_INSTANCE_PATH=/var/lib/storechat

WORKDIR /opt/storechat
COPY pyproject.toml README.md ./
COPY core ./core
COPY connectors ./connectors
COPY theme_snippets ./theme_snippets
RUN pip install . \
 && useradd --system --home-dir /var/lib/storechat --create-home --shell /usr/sbin/nologin storechat

USER storechat
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --retries=3 \
  CMD python -c "import os,sys,urllib.request as u; r=os.environ.get('STORECHAT_ROLE','web'); sys.exit(0 if r!='web' else (0 if u.urlopen('http://127.0.0.1:8000/readyz', timeout=2).status == 200 else 1))"
# Web hosts: `serve --role web --host 0.0.0.0 --port 8000`; worker hosts: `serve --role worker`.
# `storechat migrate` runs once per release, before the hosts are restarted (docs/deploy.md).
ENTRYPOINT ["storechat"]
CMD ["serve", "--role", "web", "--host", "0.0.0.0", "--port", "8000"]
