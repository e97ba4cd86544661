"""Server keys made ahead of enrollment: used once, kept encrypted, refilled in the background."""

import threading

import pytest
from cryptography.hazmat.primitives import serialization
from sqlalchemy import select

from edupush_token import runtime
from edupush_token.catalogue import Config
from edupush_token.hosts.edumfa.ports import Keys, _pool
from edupush_token.storage.schema import server_key
from support import FAST_SERVER_KEY_SIZE

pytestmark = pytest.mark.both_engines

KEY_SIZE = FAST_SERVER_KEY_SIZE  # what push_policies sets


@pytest.fixture
def pool_of(app):
    """Sets this app's pool size and lets the background refill finish."""

    def size(keys: int):
        app.config[Config.KEY_POOL_SIZE] = keys
        return keys

    return size


def settled_pool(app) -> list[str]:
    assert runtime.key_generator.wait_idle(timeout=60)
    with app.app_context():
        rows = _pool().session.execute(select(server_key.c.public_pem).where(server_key.c.key_size == KEY_SIZE))
        return list(rows.scalars())


def public_pem(public_key) -> str:
    return public_key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.PKCS1).decode()


def test_step_one_fills_the_pool_and_step_two_takes_a_key_from_it(pool_of, app, start_enrollment, phone):
    pool_of(2)
    detail = start_enrollment()
    pooled = settled_pool(app)
    assert len(pooled) == 2
    token = phone.enroll(phone.scan(detail["pushurl"]["value"]))
    assert public_pem(token.server_public_key) in pooled
    assert public_pem(token.server_public_key) not in settled_pool(app)  # gone, and refilled
    assert len(settled_pool(app)) == 2


def test_no_two_enrollments_share_a_key(pool_of, app, enroll, make_phone):
    pool_of(2)
    keys = {public_pem(enroll(on_phone=make_phone()).token.server_public_key) for _ in range(4)}
    assert len(keys) == 4


def test_an_empty_pool_means_the_request_makes_its_own_key(pool_of, app, enroll):
    pool_of(0)
    enrolled = enroll()
    assert enrolled.token.server_public_key.key_size == KEY_SIZE
    assert settled_pool(app) == []


def test_pooled_private_keys_are_stored_encrypted(pool_of, app, start_enrollment):
    pool_of(1)
    start_enrollment()
    settled_pool(app)
    with app.app_context():
        [encrypted] = _pool().session.execute(select(server_key.c.encrypted_private_pem)).scalars()
        assert "PRIVATE KEY" not in encrypted
        assert "PRIVATE KEY" in Keys().take(KEY_SIZE).private_pem


def test_concurrent_takes_never_hand_out_a_key_twice(pool_of, app, start_enrollment):
    pool_of(4)
    start_enrollment()
    settled_pool(app)
    app.config[Config.KEY_POOL_SIZE] = 0  # no refill while the takers race
    taken, barrier = [], threading.Barrier(8)

    def take():
        with app.app_context():
            barrier.wait()
            pool = _pool()
            key = pool.take(KEY_SIZE)
            pool.session.commit()
            taken.append(key and key.public_pem)

    threads = [threading.Thread(target=take) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    keys = [key for key in taken if key]
    assert len(keys) == 4 and len(set(keys)) == 4
