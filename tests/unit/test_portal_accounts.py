"""The administrator's accounts page: only the administrator (403 for everyone else), creation with
a one-time password, validation by field, password reset, block/unblock (an open session of a
blocked account ends), no self-block, the file rewritten atomically (0600) and read back; two
portal instances on one file see each other's changes at their next request and never overwrite
them, a hand edit is picked up, a file that no longer parses keeps the last accounts."""

from __future__ import annotations

import json
import re
import stat
from pathlib import Path

import pytest
from starlette.testclient import TestClient
from structlog.testing import capture_logs

from services.portal.adapters.accounts import Accounts
from services.portal.domain.access import Role, User
from services.portal.domain.accounts import AccountError
from tests.support import portal as support
from tests.support.portal import PASSWORD, REGION


def csrf(page: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', page)
    assert match
    return match.group(1)


def sign_in(c: TestClient, login: str, password: str = PASSWORD) -> int:
    token = csrf(c.get("/login").text)
    return c.post("/login", data={"login": login, "password": password, "csrf": token, "next": "/"}).status_code


def one_time(page: str) -> str:
    match = re.search(r'<code id="one-time-password">([^<]+)</code>', page)
    assert match, "the one-time password is shown"
    return match.group(1)


@pytest.fixture
def accounts_path(tmp_path: Path) -> Path:
    return support.accounts_file(tmp_path / "accounts.json")


def admin(accounts_path: Path) -> TestClient:
    c = TestClient(support.portal(accounts_path=accounts_path))
    assert sign_in(c, "admin") == 200
    return c


def create(c: TestClient, **fields: str) -> object:
    token = csrf(c.get("/admin/accounts").text)
    return c.post("/admin/accounts", data={"csrf": token, **fields})


MUNI = {"login": "muni-new", "display_name": "ММС нового района", "role": "municipal", "region": REGION,
        "municipality": "mun-02"}  # fmt: skip


@pytest.mark.parametrize("login", ["region", "muni1", "federal"])
def test_only_the_administrator_sees_and_changes_accounts(accounts_path: Path, login: str) -> None:
    c = TestClient(support.portal(accounts_path=accounts_path))
    assert sign_in(c, login) == 200
    assert "/admin/accounts" not in c.get("/federal").text
    assert c.get("/admin/accounts").status_code == 403
    token = csrf(c.get("/login").text)
    assert c.post("/admin/accounts", data={"csrf": token, **MUNI}).status_code == 403
    assert c.post("/admin/accounts/muni2/block", data={"csrf": token}).status_code == 403
    assert c.post("/admin/accounts/muni2/reset", data={"csrf": token}).status_code == 403
    assert Accounts.from_file(accounts_path).get("muni-new") is None
    assert not Accounts.from_file(accounts_path).is_blocked("muni2")


def test_the_table_names_roles_regions_and_municipalities(accounts_path: Path) -> None:
    page = admin(accounts_path).get("/admin/accounts").text
    assert "Муниципальная методическая служба" in page and "Еврейская автономная область" in page
    assert "активна" in page and "password_hash" not in page and "$argon2" not in page


def test_create_shows_a_one_time_password_and_the_account_signs_in(
    accounts_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    c = admin(accounts_path)
    response = create(c, **MUNI)
    assert response.status_code == 200
    password = one_time(response.text)
    assert response.headers["cache-control"] == "no-store"
    assert len(password) >= 16
    assert password not in c.get("/admin/accounts").text  # shown once
    stored = accounts_path.read_text(encoding="utf-8")
    assert password not in stored and "muni-new" in stored
    assert stat.S_IMODE(accounts_path.stat().st_mode) == 0o600
    assert password not in capsys.readouterr().out

    new = TestClient(support.portal(accounts_path=accounts_path))  # a restart: the file read again
    assert sign_in(new, "muni-new", password) == 200
    assert new.get("/region/RU-YEV/municipality/mun-02").status_code == 200
    assert new.get("/region/RU-YEV/municipality/mun-01").status_code == 403
    assert create(c, **MUNI).status_code == 400  # the login is taken


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({**MUNI, "municipality": ""}, "municipality", "нужен муниципалитет"),
        ({**MUNI, "region": ""}, "region", "нужен регион"),
        ({**MUNI, "municipality": "mun-99"}, "municipality", "нет в выбранном регионе"),
        ({**MUNI, "role": "regional", "municipality": "mun-01"}, "municipality", "не указывается"),
        ({**MUNI, "role": "federal", "municipality": ""}, "region", "не указывается"),
        ({**MUNI, "login": "Я"}, "login", "латинские"),
        ({**MUNI, "display_name": " "}, "display_name", "Укажите"),
        ({**MUNI, "role": "root"}, "role", "Выберите роль"),
    ],
)
def test_validation_errors_are_shown_next_to_the_field(
    accounts_path: Path, fields: dict[str, str], field: str, message: str
) -> None:
    response = create(admin(accounts_path), **fields)
    assert response.status_code == 400
    error = re.search(rf'<p class="error" id="error-{field}">([^<]+)</p>', response.text)
    assert error and message in error.group(1)
    assert Accounts.from_file(accounts_path).get(fields["login"]) is None


def test_forms_need_the_csrf_token(accounts_path: Path) -> None:
    c = admin(accounts_path)
    assert c.post("/admin/accounts", data=MUNI).status_code == 403
    assert c.post("/admin/accounts/muni2/block", data={}).status_code == 403
    assert not Accounts.from_file(accounts_path).is_blocked("muni2")


def test_reset_password(accounts_path: Path) -> None:
    c = admin(accounts_path)
    token = csrf(c.get("/admin/accounts").text)
    password = one_time(c.post("/admin/accounts/muni1/reset", data={"csrf": token}).text)
    other = TestClient(support.portal(accounts_path=accounts_path))
    assert sign_in(other, "muni1") == 401
    assert sign_in(other, "muni1", password) == 200
    assert c.post("/admin/accounts/nobody/reset", data={"csrf": token}).status_code == 404


def test_block_ends_sessions_and_unblock_restores(accounts_path: Path) -> None:
    app = support.portal(accounts_path=accounts_path)
    c, muni = TestClient(app), TestClient(app)
    assert sign_in(c, "admin") == 200 and sign_in(muni, "muni1") == 200
    assert muni.get("/region/RU-YEV/municipality/mun-01").status_code == 200
    token = csrf(c.get("/admin/accounts").text)
    assert "заблокирована" in c.post("/admin/accounts/muni1/block", data={"csrf": token}).text
    assert muni.get("/region/RU-YEV/municipality/mun-01", follow_redirects=False).status_code == 303
    assert sign_in(muni, "muni1") == 401
    assert Accounts.from_file(accounts_path).is_blocked("muni1")  # survives a restart
    c.post("/admin/accounts/muni1/unblock", data={"csrf": token})
    assert sign_in(muni, "muni1") == 200


def test_the_administrator_cannot_block_themself(accounts_path: Path) -> None:
    c = admin(accounts_path)
    token = csrf(c.get("/admin/accounts").text)
    response = c.post("/admin/accounts/admin/block", data={"csrf": token})
    assert response.status_code == 400 and "собственную" in response.text
    assert not Accounts.from_file(accounts_path).is_blocked("admin")
    assert c.get("/admin/accounts").status_code == 200


def test_without_an_accounts_file_the_page_is_read_only() -> None:
    c = TestClient(support.portal())
    assert sign_in(c, "admin") == 200
    page = c.get("/admin/accounts").text
    assert "только для чтения" in page and 'action="/admin/accounts"' not in page
    assert create(c, **MUNI).status_code == 400


def test_changes_are_audit_logged_without_secrets(accounts_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    c = admin(accounts_path)
    with capture_logs() as logs:
        password = one_time(create(c, **MUNI).text)
        token = csrf(c.get("/admin/accounts").text)
        c.post("/admin/accounts/muni-new/block", data={"csrf": token})
        c.post("/admin/accounts/muni-new/reset", data={"csrf": token})
    lines = [x for x in logs if str(x["event"]).startswith("portal_account")]
    events = [(x["event"], x["by"], x["login"]) for x in lines]
    assert events == [
        ("portal_account_created", "admin", "muni-new"),
        ("portal_account_block", "admin", "muni-new"),
        ("portal_account_reset", "admin", "muni-new"),
    ]
    assert not any(password in repr(x) or "argon2" in repr(x) for x in logs)
    out = capsys.readouterr()
    assert password not in out.out + out.err and "$argon2" not in out.out + out.err
    assert Accounts.from_file(accounts_path).get("muni-new").role is Role.MUNICIPAL  # type: ignore[union-attr]


def test_a_block_on_one_instance_ends_the_sessions_on_another(accounts_path: Path) -> None:
    c = admin(accounts_path)
    other = TestClient(support.portal(accounts_path=accounts_path))  # a second portal process
    assert sign_in(other, "muni1") == 200
    token = csrf(c.get("/admin/accounts").text)
    c.post("/admin/accounts/muni1/block", data={"csrf": token})
    assert other.get("/region/RU-YEV/municipality/mun-01", follow_redirects=False).status_code == 303
    assert sign_in(other, "muni1") == 401


def test_two_instances_changes_are_both_kept(accounts_path: Path) -> None:
    first, second = Accounts.from_file(accounts_path), Accounts.from_file(accounts_path)
    first.create(User("muni-a", Role.MUNICIPAL, REGION, "mun-02", "ММС А"))
    second.create(User("muni-b", Role.MUNICIPAL, REGION, "mun-03", "ММС Б"))
    first.set_blocked("muni1", True)
    on_disk = Accounts.from_file(accounts_path)
    assert {"muni-a", "muni-b"} <= {a.user.login for a in on_disk.list()}
    assert on_disk.is_blocked("muni1") and second.is_blocked("muni1")
    assert first.get("muni-b") is not None
    with pytest.raises(AccountError):
        second.create(User("muni-a", Role.MUNICIPAL, REGION, "mun-02", "ещё раз"))


def test_a_hand_edit_is_picked_up_and_a_broken_file_keeps_the_last_accounts(accounts_path: Path) -> None:
    accounts = Accounts.from_file(accounts_path)
    body = json.loads(accounts_path.read_text(encoding="utf-8"))
    body["accounts"] = [e for e in body["accounts"] if e["login"] != "federal"]
    accounts_path.write_text(json.dumps(body), encoding="utf-8")
    assert accounts.get("federal") is None and accounts.get("muni1") is not None

    accounts_path.write_text(json.dumps(body)[:-10], encoding="utf-8")  # a save cut short by hand
    assert accounts.get("muni1") is not None and accounts.verify("muni1", PASSWORD) is not None
    with pytest.raises(AccountError, match="не читается"):
        accounts.set_blocked("muni1", True)
    assert accounts_path.read_text(encoding="utf-8") == json.dumps(body)[:-10]  # left for the person editing it


def edit(c: TestClient, login: str, **fields: str) -> object:
    token = csrf(c.get(f"/admin/accounts/{login}/edit").text)
    return c.post(f"/admin/accounts/{login}/edit", data={"csrf": token, **fields})


def test_editing_the_scope_ends_that_accounts_sessions_and_keeps_its_password(accounts_path: Path) -> None:
    app = support.portal(accounts_path=accounts_path)
    c, muni = TestClient(app), TestClient(app)
    assert sign_in(c, "admin") == 200 and sign_in(muni, "muni1") == 200
    assert muni.get("/region/RU-YEV/municipality/mun-02").status_code == 403
    page = c.get("/admin/accounts/muni1/edit").text
    assert 'value="ММС Биробиджана"' in page and 'value="mun-01" selected' in page
    response = edit(c, "muni1", display_name="ММС района", role="municipal", region=REGION, municipality="mun-02")
    assert response.status_code == 200 and "muni1 изменена" in response.text  # type: ignore[attr-defined]
    # the open session had mun-01's rights: it ends, and the new sign-in has mun-02's
    assert muni.get("/region/RU-YEV/municipality/mun-01", follow_redirects=False).status_code == 303
    assert sign_in(muni, "muni1") == 200
    assert muni.get("/region/RU-YEV/municipality/mun-02").status_code == 200
    assert muni.get("/region/RU-YEV/municipality/mun-01").status_code == 403
    stored = Accounts.from_file(accounts_path).get("muni1")
    assert stored is not None and (stored.municipality, stored.display_name) == ("mun-02", "ММС района")
    # a new name only: the session goes on
    edit(c, "muni1", display_name="ММС района (новое имя)", role="municipal", region=REGION, municipality="mun-02")
    assert muni.get("/region/RU-YEV/municipality/mun-02").status_code == 200


def test_editing_is_validated_by_field_and_the_administrator_keeps_their_role(accounts_path: Path) -> None:
    c = admin(accounts_path)
    response = edit(c, "muni1", display_name="ММС", role="municipal", region=REGION, municipality="")
    assert response.status_code == 400 and 'id="error-municipality"' in response.text  # type: ignore[attr-defined]
    response = edit(c, "admin", display_name="Администратор", role="regional", region=REGION, municipality="")
    assert response.status_code == 400 and "собственной" in response.text  # type: ignore[attr-defined]
    assert Accounts.from_file(accounts_path).get("admin").role is Role.ADMIN  # type: ignore[union-attr]
    assert c.get("/admin/accounts/nobody/edit").status_code == 404
    region = TestClient(support.portal(accounts_path=accounts_path))
    assert sign_in(region, "region") == 200
    assert region.get("/admin/accounts/muni1/edit").status_code == 403
