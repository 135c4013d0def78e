"""Personal data: round trip through encryption, a keyed blind index, masks as the app shows them."""
import pytest

from data import pii


def test_encrypt_round_trip_and_no_plain_text():
    values = ["张伟", "110101199003074514", "13812345678", None, "上海市浦东新区世纪大道100号"]
    tokens = pii.encrypt_many(values)
    assert tokens[3] is None
    assert all(v not in t for v, t in zip(values, tokens) if v)
    assert pii.decrypt_many(tokens) == values
    assert pii.encrypt_many(["13812345678"]) != pii.encrypt_many(["13812345678"])   # random nonce per value


def test_blind_index_matches_equal_values_only():
    a, b, c = pii.blind_index_many(["110101199003074514", "110101199003074514", "110101199003074515"])
    assert a == b and a != c and len(a) == 32 and "1101" not in a


@pytest.mark.parametrize("field,value,masked", [
    ("phone", "13812345678", "138****5678"),
    ("national_id", "310101199003071234", "3101**********1234"),
    ("name", "张伟", "张*"),
    ("name", "John Smith", "J*********"),
    ("address", "上海市浦东新区世纪大道100号", "上海市浦东新****"),
    ("phone", None, None),
])
def test_masks(field, value, masked):
    assert pii.mask(field, value) == masked


def test_missing_key_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.delenv("LOANWATCH_SECRET_KEY")
    with pytest.raises(pii.KeyMissing, match="no encryption key"):
        pii.encrypt_many(["x"])
    pii.ensure_secrets()                                  # first run writes a key outside LOANWATCH_HOME
    assert pii.decrypt_many(pii.encrypt_many(["x"])) == ["x"]
    assert 'secret_key = "' in (tmp_path / "secrets.toml").read_text()


def test_ensure_secrets_adds_only_the_missing_cookie_key(monkeypatch, tmp_path):
    monkeypatch.delenv("LOANWATCH_COOKIE_KEY", raising=False)
    pii.ensure_secrets()                                  # the encryption key comes from the environment
    text = (tmp_path / "secrets.toml").read_text()
    assert "cookie_key = " in text and "secret_key" not in text
    assert pii.read_secret("cookie_key")
    pii.ensure_secrets()                                  # nothing missing: the file is left as it is
    assert (tmp_path / "secrets.toml").read_text() == text
