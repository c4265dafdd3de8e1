"""The Airflow replica: Airflow 3's `PUT /execution/task-instances/{id}/rtif`, as the api-server runs it.

`npm run bench` starts this under uvicorn (bench/lib/airflow.mjs) beside the service, against the same
PostgreSQL, so that "service req/s ÷ Airflow req/s" is measured in one run. It ports only what that
route executes per request, written anew from reading the apache/airflow sources below; nothing else
of Airflow is here.

What each part follows (apache/airflow, airflow-core/src/airflow/…):
  * route `ti_put_rtif`: api_fastapi/execution_api/routes/task_instances.py (main @ 9423f44f, the
    3.1/3.2 body: `session.scalar(select(TI).where(TI.id == id))`, bare 404, `update_rtif`, 201
    `{"message": "Rendered task instance fields successfully set"}`; the structlog `log.info` line).
  * `TaskInstance.update_rtif`: models/taskinstance.py: build the RTIF (it redacts in its
    constructor), `write`, `session.flush()`, `delete_old_records(task_id, dag_id)`.
  * `RenderedTaskInstanceFields.write` after PR #63874 (the fix of issue #61705):
    models/renderedtifields.py @ 0a7fb709: one `INSERT … ON CONFLICT (dag_id, task_id, run_id,
    map_index) DO UPDATE SET rendered_fields, k8s_pod_yaml` through SQLAlchemy's PostgreSQL dialect,
    under `@retry_db_transaction` (3 tries on OperationalError); then the 3.2 retention
    `DELETE … WHERE dag_id, task_id AND run_id NOT IN (SELECT run_id FROM dag_run WHERE dag_id
    ORDER BY run_after DESC LIMIT 30)` (`num_dag_runs_to_retain_rendered_fields`, default 30).
  * `redact`: airflow/_shared/secrets_masker: the value under a sensitive key name (substring match
    on the default names) becomes "***" (strings; numbers kept), recursively. No secret values are
    registered in a bare api-server, so the pattern replacement it also runs has nothing to match.
  * auth: api_fastapi/execution_api/security.py @ 01e85318 (`JWTBearer`: HTTP bearer, 401 "Missing
    auth token", PyJWT `jwt.decode` HS512 with audience `urn:airflow.apache.org:task`, required
    exp/iat/nbf, leeway 10 s, 403 "Invalid auth token: …"; `TIClaims` pydantic model; `require_auth`:
    token type `execution`, `ti:self`: sub equals the path id, else 403), and app.py's two
    BaseHTTPMiddlewares: `CorrelationIdMiddleware` and `JWTReissueMiddleware` (which validates the
    token a second time after the response and re-signs it when it is near expiry).
  * session: api_fastapi/common/db/common.py `SessionDep` (one session per request, committed after
    the route returns) over airflow/settings.py's engine defaults: QueuePool 5 + 10 overflow,
    pool_pre_ping, pool_recycle 1800, `expire_on_commit=False`, `autoflush=False`. The route is a
    plain `def`, so FastAPI runs it in its thread pool, as Airflow does.

What differs, and why:
  * versions: Debian bookworm's FastAPI 0.92 / Starlette 0.26 / pydantic 1.10 / SQLAlchemy 1.4 /
    psycopg2 2.9 / PyJWT 2.6 / uvicorn 0.17 (+ uvloop, httptools), not Airflow 3's pins (FastAPI
    ≥ 0.116, pydantic 2, SQLAlchemy 2): this network reaches no PyPI. pydantic 1 has no `JsonValue`,
    so the body is `Dict[str, Any]` (a non-object still gets FastAPI's 422).
  * no Cadwyn API versioning (its request/response migration layer runs on every Airflow request and
    costs Airflow something; the replica is therefore, if anything, faster than Airflow), no svcs
    container, no OpenTelemetry, stdlib logging instead of structlog (same one INFO line per request,
    plus uvicorn's access log).
  * the models map only the columns the tables in schema.sql hold (Airflow's TI maps a few more).
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from typing import Any, Dict, Iterator, Literal, Optional

import jwt
from fastapi import Body, Depends, FastAPI, HTTPException, Request, status
from fastapi.security import HTTPBearer
from pydantic import BaseModel, ValidationError
from sqlalchemy import JSON, Column, DateTime, Float, ForeignKeyConstraint, Integer, String, create_engine, delete, select
from sqlalchemy.dialects.postgresql import JSONB, UUID, insert as pg_insert
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, declarative_base, relationship, sessionmaker
from starlette.middleware.base import BaseHTTPMiddleware

log = logging.getLogger("airflow.api_fastapi.execution_api.routes.task_instances")
# One line per request from the route, as Airflow's structlog writes it; uvicorn's own loggers
# (its access log included) keep their handlers, so nothing is written twice.
_handler = logging.StreamHandler()
_handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
log.addHandler(_handler)
log.setLevel(logging.INFO)
log.propagate = False

# --- settings.py: the engine and session factory with Airflow's [database] defaults -------------
engine = create_engine(
    os.environ["AIRFLOW_REPLICA_DATABASE_URL"],
    pool_size=int(os.environ.get("AIRFLOW__DATABASE__SQL_ALCHEMY_POOL_SIZE", "5")),
    max_overflow=int(os.environ.get("AIRFLOW__DATABASE__SQL_ALCHEMY_MAX_OVERFLOW", "10")),
    pool_pre_ping=True,
    pool_recycle=1800,
    future=True,
)
SessionLocal = sessionmaker(bind=engine, autoflush=False, expire_on_commit=False, future=True)
Base = declarative_base()
NUM_DAG_RUNS_TO_RETAIN = int(os.environ.get("AIRFLOW__CORE__NUM_DAG_RUNS_TO_RETAIN_RENDERED_FIELDS", "30"))
MAX_DB_RETRIES = 3


# --- models: the columns of schema.sql ----------------------------------------------------------
class DagRun(Base):
    __tablename__ = "dag_run"
    id = Column(Integer, primary_key=True)
    dag_id = Column(String(250), nullable=False)
    queued_at = Column(DateTime(timezone=True))
    logical_date = Column(DateTime(timezone=True))
    start_date = Column(DateTime(timezone=True))
    end_date = Column(DateTime(timezone=True))
    state = Column(String(50))
    run_id = Column(String(250), nullable=False)
    creating_job_id = Column(Integer)
    run_type = Column(String(50), nullable=False)
    triggered_by = Column(String(50))
    conf = Column(JSONB)
    data_interval_start = Column(DateTime(timezone=True))
    data_interval_end = Column(DateTime(timezone=True))
    run_after = Column(DateTime(timezone=True), nullable=False)
    last_scheduling_decision = Column(DateTime(timezone=True))
    log_template_id = Column(Integer)
    updated_at = Column(DateTime(timezone=True))
    clear_number = Column(Integer, nullable=False)
    bundle_version = Column(String(250))
    partition_key = Column(String(250))


class TaskInstance(Base):
    __tablename__ = "task_instance"
    id = Column(UUID(as_uuid=False), primary_key=True)
    task_id = Column(String(250), nullable=False)
    dag_id = Column(String(250), nullable=False)
    run_id = Column(String(250), nullable=False)
    map_index = Column(Integer, nullable=False, server_default="-1")
    start_date = Column(DateTime(timezone=True))
    end_date = Column(DateTime(timezone=True))
    duration = Column(Float)
    state = Column(String(20))
    try_number = Column(Integer)
    max_tries = Column(Integer)
    hostname = Column(String(1000))
    unixname = Column(String(1000))
    pool = Column(String(256), nullable=False)
    pool_slots = Column(Integer, nullable=False)
    queue = Column(String(256))
    priority_weight = Column(Integer)
    operator = Column(String(1000))
    custom_operator_name = Column(String(1000))
    queued_dttm = Column(DateTime(timezone=True))
    scheduled_dttm = Column(DateTime(timezone=True))
    queued_by_job_id = Column(Integer)
    last_heartbeat_at = Column(DateTime(timezone=True))
    pid = Column(Integer)
    executor = Column(String(1000))
    updated_at = Column(DateTime(timezone=True))
    rendered_map_index = Column(String(250))
    external_executor_id = Column(String(250))
    trigger_id = Column(Integer)
    trigger_timeout = Column(DateTime)
    next_method = Column(String(1000))
    next_kwargs = Column(JSON)
    task_display_name = Column(String(2000))
    dag_version_id = Column(UUID(as_uuid=False))
    __table_args__ = (ForeignKeyConstraint([dag_id, run_id], ["dag_run.dag_id", "dag_run.run_id"], ondelete="CASCADE"),)
    # As Airflow: every TI load joins its dag run.
    dag_run = relationship("DagRun", lazy="joined", innerjoin=True)
    task = None  # Airflow attaches the serialized operator elsewhere; the RTIF path only copies it.

    def update_rtif(self, rendered_fields: Dict[str, Any], session: Session) -> None:
        rtif = RenderedTaskInstanceFields(ti=self, rendered_fields=rendered_fields)
        rtif.write(session)
        session.flush()
        RenderedTaskInstanceFields.delete_old_records(self.task_id, self.dag_id, session=session)


# --- secrets_masker.redact with the default sensitive names --------------------------------------
SENSITIVE = ("access_token", "api_key", "apikey", "authorization", "passphrase", "passwd", "password",
             "private_key", "secret", "token", "keyfile_dict", "service_account")


def _hide(name: Optional[str]) -> bool:
    return bool(name) and any(s in name.strip().lower() for s in SENSITIVE)


def _redact_all(item: Any, depth: int) -> Any:
    if depth > 5 or isinstance(item, str):
        return "***"
    if isinstance(item, dict):
        return {k: _redact_all(v, depth + 1) for k, v in item.items()}
    if isinstance(item, (list, tuple, set)):
        return [_redact_all(v, depth + 1) for v in item]
    return item


def redact(item: Any, name: Optional[str] = None, depth: int = 0) -> Any:
    if depth > 5:
        return item
    if _hide(name):
        return _redact_all(item, depth)
    if isinstance(item, dict):
        return {k: redact(v, str(k), depth + 1) for k, v in item.items()}
    if isinstance(item, (list, tuple, set)):
        return [redact(v, None, depth + 1) for v in item]
    return item


class RenderedTaskInstanceFields(Base):
    __tablename__ = "rendered_task_instance_fields"
    dag_id = Column(String(250), primary_key=True)
    task_id = Column(String(250), primary_key=True)
    run_id = Column(String(250), primary_key=True)
    map_index = Column(Integer, primary_key=True, server_default="-1")
    rendered_fields = Column(JSON, nullable=False)
    k8s_pod_yaml = Column(JSON, nullable=True)

    def __init__(self, ti: TaskInstance, rendered_fields: Dict[str, Any]):
        self.dag_id = ti.dag_id
        self.task_id = ti.task_id
        self.run_id = ti.run_id
        self.map_index = ti.map_index
        self.ti = ti
        self.task = ti.task
        self.rendered_fields = rendered_fields
        self._redact()

    def _redact(self) -> None:
        for field, rendered in self.rendered_fields.items():
            self.rendered_fields[field] = redact(rendered, field)

    def write(self, session: Session) -> None:
        values = {"dag_id": self.dag_id, "task_id": self.task_id, "run_id": self.run_id, "map_index": self.map_index,
                  "rendered_fields": self.rendered_fields, "k8s_pod_yaml": self.k8s_pod_yaml}
        update_on_conflict = {"rendered_fields": self.rendered_fields, "k8s_pod_yaml": self.k8s_pod_yaml}
        stmt = pg_insert(RenderedTaskInstanceFields).values(**values).on_conflict_do_update(
            index_elements=["dag_id", "task_id", "run_id", "map_index"], set_=update_on_conflict)
        _retry_db_transaction(lambda: session.execute(stmt), session)

    @classmethod
    def delete_old_records(cls, task_id: str, dag_id: str, session: Session, num_to_keep: int = NUM_DAG_RUNS_TO_RETAIN) -> None:
        if num_to_keep <= 0:
            return
        keep = select(DagRun.run_id).where(DagRun.dag_id == dag_id).order_by(DagRun.run_after.desc()).limit(num_to_keep)
        stmt = delete(cls).where(cls.dag_id == dag_id, cls.task_id == task_id, cls.run_id.not_in(keep.scalar_subquery()))
        _retry_db_transaction(lambda: session.execute(stmt.execution_options(synchronize_session=False)), session)
        session.flush()


def _retry_db_transaction(fn, session: Session):
    """utils/retries.py: retry on OperationalError (deadlocks), rolling back between tries."""
    for attempt in range(1, MAX_DB_RETRIES + 1):
        try:
            return fn()
        except OperationalError:
            if attempt == MAX_DB_RETRIES:
                raise
            session.rollback()


# --- security.py ---------------------------------------------------------------------------------
SECRET = os.environ["AIRFLOW_REPLICA_JWT_SECRET"]
AUDIENCE = "urn:airflow.apache.org:task"


class TIClaims(BaseModel):
    sub: uuid.UUID
    exp: int
    iat: int
    nbf: int
    scope: Literal["execution", "workload"] = "execution"
    aud: Any = None
    iss: Optional[str] = None
    jti: Optional[str] = None


def validated_claims(token: str) -> Dict[str, Any]:
    return jwt.decode(token, SECRET, audience=AUDIENCE, options={"require": ["exp", "iat", "nbf"]},
                      algorithms=["HS512"], leeway=10)


_bearer = HTTPBearer(auto_error=False)


async def require_auth(request: Request, creds=Depends(_bearer)) -> TIClaims:
    if not creds:
        raise HTTPException(status_code=status.HTTP_401_UNAUTHORIZED, detail="Missing auth token")
    try:
        claims = validated_claims(creds.credentials)
    except Exception as err:
        raise HTTPException(status_code=status.HTTP_403_FORBIDDEN, detail=f"Invalid auth token: {err}")
    claims.setdefault("scope", "execution")
    try:
        token = TIClaims(**claims)
    except ValidationError as err:
        raise HTTPException(status_code=status.HTTP_403_FORBIDDEN, detail=f"Invalid auth token: {err}")
    if token.scope != "execution":
        raise HTTPException(status_code=status.HTTP_403_FORBIDDEN,
                            detail=f"Token type '{token.scope}' not allowed for this endpoint. Allowed types: execution")
    if str(token.sub) != str(request.path_params["task_instance_id"]):
        raise HTTPException(status_code=status.HTTP_403_FORBIDDEN, detail="Token subject does not match task instance ID")
    return token


# --- common/db/common.py: SessionDep --------------------------------------------------------------
def get_session() -> Iterator[Session]:
    session = SessionLocal()
    try:
        yield session
        session.commit()
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()


# --- app.py: middlewares ----------------------------------------------------------------------------
class CorrelationIdMiddleware(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next):
        correlation_id = request.headers.get("correlation-id")
        response = await call_next(request)
        if correlation_id:
            response.headers["correlation-id"] = correlation_id
        return response


class JWTReissueMiddleware(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next):
        response = await call_next(request)
        auth_header = request.headers.get("authorization")
        if auth_header and auth_header.lower().startswith("bearer "):
            try:
                claims = validated_claims(auth_header.split(" ", 1)[1])
                if claims.get("scope") == "workload":
                    return response
                now = int(time.time())
                validity = int(claims["exp"]) - int(claims["iat"])
                if int(claims["exp"]) - now <= max(int(validity * 0.20), 30):
                    fresh = {**claims, "iat": now, "nbf": now, "exp": now + validity}
                    response.headers["Refreshed-API-Token"] = jwt.encode(fresh, SECRET, algorithm="HS512")
            except Exception:
                log.warning("JWT reissue failed", exc_info=True)
        return response


app = FastAPI()
app.add_middleware(JWTReissueMiddleware)
app.add_middleware(CorrelationIdMiddleware)


@app.put("/execution/task-instances/{task_instance_id}/rtif", status_code=status.HTTP_201_CREATED)
def ti_put_rtif(
    task_instance_id: uuid.UUID,
    put_rtif_payload: Dict[str, Any] = Body(...),
    session: Session = Depends(get_session),
    _token: TIClaims = Depends(require_auth),
):
    ti_id_str = str(task_instance_id)
    log.info("Updating RenderedTaskInstanceFields ti_id=%s field_count=%d", ti_id_str, len(put_rtif_payload))
    task_instance = session.scalar(select(TaskInstance).where(TaskInstance.id == ti_id_str))
    if not task_instance:
        log.error("Task Instance not found ti_id=%s", ti_id_str)
        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND)
    task_instance.update_rtif(put_rtif_payload, session)
    return {"message": "Rendered task instance fields successfully set"}


@app.get("/execution/health")
def health():
    return {"status": "healthy"}
