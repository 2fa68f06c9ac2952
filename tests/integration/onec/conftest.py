"""A 1C client driving /exchange exactly as 1C does: HTTP Basic at checkauth, then the cookie."""
from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path

import pytest

from ..services.conftest import shop  # noqa: F401  (the catalogue and warehouse the orders use)
from ..services.test_manager_orders import office  # noqa: F401

FIXTURES = Path(__file__).resolve().parent.parent.parent / "fixtures" / "onec"
LOGIN, PASSWORD = "1c-exchange", "Пароль-обмена-1С"


def basic(login: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{login}:{password}".encode()).decode()


@dataclass
class Answer:
    status: int
    body: bytes
    content_type: str
    encoding: str

    @property
    def lines(self) -> list[str]:
        return self.body.decode(self.encoding).split("\n")


class OneC:
    """What 1C's "exchange with site" processor sends; keeps the cookie checkauth gave it."""

    def __init__(self, app):
        self.app = app
        self.http = app.test_client(use_cookies=False)
        self.cookie: str | None = None

    def call(self, kind: str, mode: str, *, data: bytes | None = None, auth: str | None = None,
             cookie: bool = True, **params) -> Answer:
        headers = {}
        if auth:
            headers["Authorization"] = auth
        if cookie and self.cookie:
            headers["Cookie"] = self.cookie
        query = {"type": kind, "mode": mode, **params}
        if data is None:
            response = self.http.get("/exchange", query_string=query, headers=headers)
        else:
            response = self.http.post("/exchange", query_string=query, headers=headers, data=data,
                                      content_type="application/octet-stream")
        charset = response.mimetype_params.get("charset", "utf-8")
        return Answer(response.status_code, response.get_data(), response.mimetype, charset)

    def checkauth(self, kind: str, login: str = LOGIN, password: str = PASSWORD) -> Answer:
        answer = self.call(kind, "checkauth", auth=basic(login, password), cookie=False)
        if answer.status == 200 and answer.lines[0] == "success":
            self.cookie = f"{answer.lines[1]}={answer.lines[2]}"
        return answer

    def upload(self, kind: str, filename: str, data: bytes, limit: int) -> list[Answer]:
        """Send a file in parts of at most `limit` bytes, as 1C does after init's file_limit."""
        return [self.call(kind, "file", filename=filename, data=data[i:i + limit])
                for i in range(0, len(data), limit)]

    def import_until_done(self, filename: str, most: int = 50) -> list[Answer]:
        answers = []
        for _ in range(most):
            answer = self.call("catalog", "import", filename=filename)
            answers.append(answer)
            if answer.lines[0] != "progress":
                return answers
        raise AssertionError("the import never finished")


@pytest.fixture
def onec_app(app, tmp_path):
    app.instance_path = str(tmp_path / "instance")
    app.config.update(ONEC_LOGIN=LOGIN, ONEC_PASSWORD=PASSWORD, ONEC_PRICE_TYPE="Розничная",
                      ONEC_ENCODING="utf-8", ONEC_FILE_LIMIT=2048, ONEC_ZIP=True, ONEC_STEP_ITEMS=2,
                      ONEC_STEP_SECONDS=30)
    return app


@pytest.fixture
def onec(onec_app):
    return OneC(onec_app)


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()
