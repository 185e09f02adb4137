"""P4: argon2id at the library's recommended cost in production; cheap only in tests."""
import subprocess
import sys

from argon2 import profiles


def test_production_hashes_at_the_recommended_cost():
    # A fresh interpreter: this test process switched to cheap hashing in conftest.
    code = "from domain.identity.passwords import current_cost, hash_password; print(current_cost()); print(hash_password('x' * 12))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    recommended = profiles.RFC_9106_LOW_MEMORY
    assert out[0:3] == [f"({recommended.time_cost},", f"{recommended.memory_cost},", f"{recommended.parallelism})"]
    assert out[3].startswith(f"$argon2id$v=19$m={recommended.memory_cost},t={recommended.time_cost},")


def test_verification_spends_a_hash_for_unknown_emails_too():
    from domain.identity.passwords import hash_password, verify_password

    assert verify_password(hash_password("correct horse 42"), "correct horse 42")
    assert not verify_password(None, "correct horse 42")
