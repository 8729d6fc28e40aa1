"""SIGHUP reloads menus.yaml; a broken file is refused with FILE:LINE and the old menus stay."""

from __future__ import annotations

import shutil
import signal

import pytest

from tests.gatewayproc import ROOT, GatewayProcess

A = "79261234567"


@pytest.fixture
def menus_copy(tmp_path):
    path = tmp_path / "menus.yaml"
    shutil.copy(ROOT / "menus.yaml", path)
    config = tmp_path / "gateway.yaml"
    config.write_text(f"menus: {path}\n", encoding="utf-8")
    process = GatewayProcess(tmp_path, "--config", str(config))
    process.start()
    yield process, path
    process.stop()


def first_line(gateway) -> str:
    text = gateway.ussd(A, "*105#")["text"]
    gateway.request("DELETE", f"/api/v1/handsets/{A}/ussd")
    return text.split("\n")[0]


def wait_for(predicate, attempts: int = 500) -> bool:
    # Each attempt is a real HTTP round trip to the gateway; no sleeping.
    return any(predicate() for _ in range(attempts))


def test_sighup_reloads_menus_and_refuses_a_broken_file(menus_copy):
    gateway, path = menus_copy
    assert first_line(gateway) == "Сервис-Гид"
    path.write_text(path.read_text(encoding="utf-8").replace('ru: "Сервис-Гид"', 'ru: "Сервис-Гид 2"'), encoding="utf-8")
    gateway.process.send_signal(signal.SIGHUP)
    assert wait_for(lambda: first_line(gateway) == "Сервис-Гид 2")
    path.write_text(path.read_text(encoding="utf-8").replace("goto: balance", "goto: nowhere"), encoding="utf-8")
    gateway.process.send_signal(signal.SIGHUP)
    assert wait_for(lambda: gateway.get("/healthz")[0] == 200 and "menus not reloaded" in gateway.log())
    assert f"{path}:" in gateway.log() and "unknown node 'nowhere'" in gateway.log()
    assert first_line(gateway) == "Сервис-Гид 2"
    assert gateway.ussd(A, "*105*1#")["text"].startswith("Баланс")
