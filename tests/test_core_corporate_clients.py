"""Corporate clients and registration by SMS, on SQLite and PostgreSQL (R29, R30)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from core import sim
from core.access import Actor
from core.corporate import clients
from core.corporate.registration import RegistrationCode
from core.errors import AlreadyMember, InvalidInput, InvalidNumber, UnknownClient, UnknownSubscriber
from tests.corporatekit import NOW, OUTSIDER, A, B, C, attempt, make_client, register


def rows(store, sql: str) -> list:
    with store.engine.connect() as connection:
        return connection.execute(text(sql)).all()


@pytest.mark.parametrize("kind", ["company", "sole_trader", "private_practice"])
def test_r29_companies_sole_traders_and_private_practices_are_clients(store, kind):
    with store.transaction() as uow:
        view = clients.create_client(uow, "  Notary Petrov ", kind, ["Moscow"], NOW)
    assert (view.name, view.kind.value, view.regions, view.federal) == ("Notary Petrov", kind, ("Moscow",), False)
    assert view.login is None and view.members == ()


def test_r29_unknown_kind_or_empty_name_creates_nothing(store):
    for name, kind, regions in (("X", "charity", ["Moscow"]), ("   ", "company", ["Moscow"]),
                                ("X", "company", []), ("X", "company", [" "])):
        with store.transaction() as uow, pytest.raises(InvalidInput):
            clients.create_client(uow, name, kind, regions, NOW)
    assert rows(store, "SELECT id FROM corporate_clients") == []
    assert rows(store, "SELECT id FROM accounts") == []


def test_r29_a_client_in_several_regions_is_federal(store):
    client_id = make_client(store)
    with store.transaction() as uow:
        assert not clients.client(uow, client_id).federal
        clients.add_region(uow, client_id, "Moscow")  # already there: nothing new
        assert not clients.client(uow, client_id).federal
        view = clients.add_region(uow, client_id, "Saint Petersburg")
    assert view.federal and view.regions == ("Moscow", "Saint Petersburg")
    with store.transaction() as uow:
        assert clients.create_client(uow, "Federal", "company", ["Kazan", "Omsk"], NOW).federal


def test_r29_unknown_client_is_refused(store):
    make_client(store)
    for call in (lambda uow: clients.client(uow, 999), lambda uow: clients.add_region(uow, 999, "Omsk"),
                 lambda uow: clients.add_member(uow, 999, OUTSIDER, NOW),
                 lambda uow: clients.add_contact(uow, 999, OUTSIDER), lambda uow: clients.client(uow, "1")):
        with store.transaction() as uow, pytest.raises(UnknownClient):
            call(uow)
    assert rows(store, "SELECT client_id FROM corporate_members WHERE msisdn = '79269990000'") == []


def test_r29_group_numbers_move_onto_corporate_accounts_of_their_own(store):
    client_id = make_client(store)
    with store.transaction() as uow:
        view = clients.client(uow, client_id)
        accounts = [uow.subscribers.get(m).account_id for m in (A, B, C, OUTSIDER)]
    assert view.members == (A, B, C)
    assert len(set(accounts)) == 4  # no member shares an account (R26-R28) with another
    kinds = rows(store, f"SELECT kind FROM accounts WHERE id IN ({', '.join(map(str, accounts))}) ORDER BY id")
    assert sorted(k for (k,) in kinds) == ["corporate", "corporate", "corporate", "personal"]


def test_r29_members_are_existing_subscribers_of_one_group_only(store):
    client_id = make_client(store)
    with store.transaction() as uow, pytest.raises(UnknownSubscriber):
        clients.add_member(uow, client_id, "79990000000", NOW)
    with store.transaction() as uow, pytest.raises(AlreadyMember):
        clients.create_client(uow, "Other", "company", ["Omsk"], NOW, members=[OUTSIDER, B])
    with store.transaction() as uow, pytest.raises(AlreadyMember):
        clients.add_member(uow, client_id, "+7 926 111-00-01", NOW)
    assert rows(store, "SELECT count(*) FROM corporate_clients") == [(1,)]
    with store.transaction() as uow:
        assert clients.add_member(uow, client_id, "89269990000", NOW).members == (A, B, C, OUTSIDER)


def test_r29_contacts_are_numbers_and_need_not_be_ours(store):
    client_id = make_client(store)
    with store.transaction() as uow:
        view = clients.add_contact(uow, client_id, "+7 (903) 123-45-67")
        clients.add_contact(uow, client_id, "79031234567")
    assert view.contacts == ("79031234567", A)
    with store.transaction() as uow, pytest.raises(InvalidNumber):
        clients.add_contact(uow, client_id, "112")


def test_r30_sms_from_an_active_member_registers_the_cp_login(store):
    client_id = make_client(store)
    result = register(store, B)
    assert (result.code, result.msisdn, result.login) == (RegistrationCode.REGISTERED, B, "CP_9261110002")
    assert result.password and result.password not in repr(result)
    ((stored,),) = rows(store, "SELECT secret_hash FROM corporate_logins")
    assert stored.startswith("scrypt$") and result.password not in stored
    with store.transaction() as uow:
        view = clients.client(uow, client_id)
    assert view.login == "CP_9261110002" and B in view.contacts
    assert attempt(store, result.password, name="CP_9261110002").token


def test_r30_a_registered_account_is_not_registered_again(store):
    make_client(store)
    first = register(store, A)
    for sender in (A, B):
        again = register(store, sender)
        assert (again.code, again.login, again.password) == (RegistrationCode.ALREADY_REGISTERED, None, None)
    assert rows(store, "SELECT msisdn FROM corporate_logins") == [(A,)]
    assert attempt(store, first.password).token


def test_r30_a_number_outside_every_group_is_refused(store):
    make_client(store)
    result = register(store, OUTSIDER)
    assert (result.code, result.password) == (RegistrationCode.NOT_A_MEMBER, None)
    assert rows(store, "SELECT msisdn FROM corporate_logins") == []
    assert rows(store, "SELECT msisdn FROM corporate_contacts WHERE msisdn = '79269990000'") == []


def test_r30_a_blocked_number_of_the_group_is_refused(store):
    make_client(store)
    with store.transaction() as uow:
        sim.block(uow, Actor.handset(B), B, "lost", NOW)
    result = register(store, B)
    assert (result.code, result.password) == (RegistrationCode.SIM_BLOCKED, None)
    assert rows(store, "SELECT msisdn FROM corporate_logins") == []
    assert register(store, C).code is RegistrationCode.REGISTERED


def test_r30_an_unknown_sender_is_an_error(store):
    make_client(store)
    with pytest.raises(UnknownSubscriber):
        register(store, "79990000000")
    assert rows(store, "SELECT msisdn FROM corporate_logins") == []
