# The FinOps project on the official Apache Airflow image: pinned requirements, the `finops`
# package, and the project's dags/, plugins/ and include/. Extends the image as the Airflow docs
# recommend (https://airflow.apache.org/docs/docker-stack/build.html): install as the `airflow`
# user into the image's virtualenv, never with `pip install --user` and never as root.
#
#   docker build -t finops-airflow:latest .                    # the production image
#   docker build --target local-tools -t finops-airflow-local .  # + moto's KMS server, for --profile local
ARG AIRFLOW_IMAGE=apache/airflow:3.3.2-python3.11

FROM ${AIRFLOW_IMAGE} AS production

USER airflow
ENV FINOPS_PROJECT_DIR=/opt/airflow \
    AIRFLOW__CORE__LOAD_EXAMPLES=False \
    PYTHONDONTWRITEBYTECODE=1

# Every install compiles its bytecode: with PYTHONDONTWRITEBYTECODE=1 nothing is cached at run time, so
# without it each task process would compile Airflow, Great Expectations and their dependencies again
# (measured here: importing great_expectations took 16.5 s of CPU instead of 6.9 s; docs/performance.md).

# 1. Exactly the pins of requirements.txt (compiled with `uv pip compile requirements.in`);
#    apache-airflow==3.3.2 is among them, so the image's Airflow is never up- or downgraded.
COPY --chown=airflow:0 requirements.txt /tmp/finops/requirements.txt
RUN uv pip install --no-cache --compile-bytecode -r /tmp/finops/requirements.txt

# 2. The project package without dependencies: everything it needs came from requirements.txt.
COPY --chown=airflow:0 pyproject.toml /tmp/finops/src/pyproject.toml
COPY --chown=airflow:0 finops /tmp/finops/src/finops
RUN uv pip install --no-cache --compile-bytecode --no-deps /tmp/finops/src \
    && rm -rf /tmp/finops

# 3. The project's files, where Airflow and FINOPS_PROJECT_DIR expect them.
COPY --chown=airflow:0 dags /opt/airflow/dags
COPY --chown=airflow:0 plugins /opt/airflow/plugins
COPY --chown=airflow:0 include /opt/airflow/include
COPY --chown=airflow:0 airflow_settings.yaml /opt/airflow/airflow_settings.yaml
COPY --chown=airflow:0 deploy/airflow_settings.compose.yaml deploy/airflow_settings.local.yaml deploy/airflow_settings.k8s.yaml /opt/airflow/deploy/

# The same image plus moto's server, for the compose profile `local` (a KMS on the network).
# moto is a test tool: it is kept out of the production stage.
FROM production AS local-tools
COPY --chown=airflow:0 requirements-dev.txt /tmp/finops/requirements-dev.txt
RUN uv pip install --no-cache --compile-bytecode "moto[server]==5.2.5" -c /tmp/finops/requirements-dev.txt \
    && rm -rf /tmp/finops

# `docker build .` without --target builds the production image.
FROM production
