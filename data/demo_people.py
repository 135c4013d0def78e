"""Demo borrowers: personal data from seeded Faker pools (zh_CN, en_US) combined with numpy, encrypted at once."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pyarrow as pa

from data import pii
from data.demo_book import CITIES, Book

POOL = 3000
EN_SHARE = 0.06             # share of retail borrowers with en_US personal data
ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
ID_CHECK = np.array(list("10X98765432"))
USCC_CHARS = np.array(list("0123456789ABCDEFGHJKLMNPQRTUWXY"))
USCC_WEIGHTS = np.array([1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28])
MOBILE_PREFIXES = np.array([130, 131, 132, 133, 134, 135, 136, 137, 138, 139, 150, 151, 152, 153, 155, 156, 157,
                            158, 159, 166, 176, 177, 178, 180, 181, 182, 183, 185, 186, 187, 188, 189, 191, 198, 199])
EDUCATION = np.array(["high_school", "vocational", "bachelor", "master", "doctorate"], dtype=object)
CITY_ZH = ("上海", "南京", "苏州", "杭州", "宁波", "青岛", "北京", "天津", "石家庄", "广州", "深圳", "厦门",
           "武汉", "长沙", "郑州", "成都", "重庆", "西安", "沈阳", "哈尔滨")
MARITAL = np.array(["single", "married", "divorced", "widowed"], dtype=object)


@dataclass(frozen=True)
class Pools:
    zh_last: np.ndarray
    zh_first: np.ndarray
    zh_street: np.ndarray       # district + street + building, without province and city
    en_first: np.ndarray
    en_last: np.ndarray
    en_street: np.ndarray
    company: np.ndarray


@lru_cache(maxsize=4)
def pools(seed: int) -> Pools:
    """A few thousand names and addresses per locale from Faker seeded with the demo seed."""
    from faker import Faker
    zh, en = Faker("zh_CN"), Faker("en_US")
    zh.seed_instance(seed)
    en.seed_instance(seed + 1)
    arr = lambda xs: np.array(list(xs), dtype=object)  # noqa: E731
    return Pools(
        zh_last=arr(zh.last_name() for _ in range(POOL // 10)),
        zh_first=arr(zh.first_name() for _ in range(POOL)),
        zh_street=arr(f"{zh.district()}区{zh.street_name()}{zh.building_number()}{zh.random_int(1, 30)}楼"
                      f"{zh.random_int(101, 2808)}室" for _ in range(POOL)),
        en_first=arr(en.first_name() for _ in range(POOL)),
        en_last=arr(en.last_name() for _ in range(POOL)),
        en_street=arr(f"{en.building_number()} {en.street_name()}, Apt {en.random_int(1, 999)}"
                      for _ in range(POOL)),
        company=arr(zh.company() for _ in range(POOL)),
    )


def _fixed_digits(values: np.ndarray, width: int) -> np.ndarray:
    """Non-negative integers -> (n, width) matrix of their decimal digits."""
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return (values[:, None] // powers) % 10


def chinese_ids(rng: np.random.Generator, area: np.ndarray, birth_day: np.ndarray, male: np.ndarray,
                taken: set[int]) -> np.ndarray:
    """Valid 18-character resident ID numbers (GB 11643, ISO 7064 MOD 11-2 check), unique across `taken`."""
    n = len(area)
    if n == 0:
        return np.array([], dtype=object)
    d = birth_day.astype("datetime64[D]")
    month = d.astype("datetime64[M]")
    date = (d.astype("datetime64[Y]").astype(np.int64) + 1970) * 10_000 + \
        (month.astype(np.int64) % 12 + 1) * 100 + (d - month).astype(np.int64) + 1
    seq = rng.integers(0, 500, n) * 2 + np.where(male, 1, 0)
    body = area.astype(np.int64) * 10**11 + date * 1000 + seq
    for _round in range(20):                                  # re-draw the rare duplicate sequence numbers
        _, first = np.unique(body, return_index=True)
        dup = np.ones(n, dtype=bool)
        dup[first] = False
        dup |= np.fromiter((b in taken for b in body.tolist()), dtype=bool, count=n)
        if not dup.any():
            break
        k = int(dup.sum())
        body[dup] = body[dup] // 1000 * 1000 + rng.integers(0, 500, k) * 2 + np.where(male[dup], 1, 0)
    taken.update(body.tolist())
    digits = _fixed_digits(body, 17)
    check = ID_CHECK[(digits * ID_WEIGHTS).sum(axis=1) % 11]
    return np.char.add(body.astype("U17"), check).astype(object)


def credit_codes(rng: np.random.Generator, area: np.ndarray) -> np.ndarray:
    """Unified social credit codes (GB 32100) of business borrowers: 91 + area + 9-character body + check."""
    n = len(area)
    if n == 0:
        return np.array([], dtype=object)
    body = USCC_CHARS[rng.integers(0, 31, (n, 9))]
    head = np.char.add("91", area.astype("U6"))
    text = np.char.add(head, np.array(["".join(r) for r in body]))
    lookup = {c: i for i, c in enumerate(USCC_CHARS)}
    values = np.array([[lookup[c] for c in t] for t in text.tolist()]).reshape(n, 17)
    check = (31 - (values * USCC_WEIGHTS).sum(axis=1) % 31) % 31
    return np.char.add(text, USCC_CHARS[check]).astype(object)


def mobiles(rng: np.random.Generator, n: int) -> np.ndarray:
    """11-digit mainland mobile numbers."""
    nums = MOBILE_PREFIXES[rng.integers(0, len(MOBILE_PREFIXES), n)].astype(np.int64) * 10**8 + \
        rng.integers(0, 10**8, n)
    return nums.astype("U11").astype(object)


def borrower_table(rng: np.random.Generator, book: Book, seed: int, id_offset: int, taken: set[int],
                   window_start_day: int) -> tuple[pa.Table, dict]:
    """The chunk's borrowers as an Arrow table (personal data encrypted) and the plain attributes the sim uses."""
    nb = book.n_borrowers
    p = pools(seed)
    business = book.business
    en = ~business & (rng.random(nb) < EN_SHARE)
    zh = ~business & ~en
    male = rng.random(nb) < 0.54
    age = np.clip(rng.normal(38, 10, nb), 21, 68)
    birth = window_start_day - (age * 365.25).astype(np.int64)
    birth_year = birth.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970

    name = np.empty(nb, dtype=object)
    name[zh] = p.zh_last[rng.integers(0, len(p.zh_last), zh.sum())] + \
        p.zh_first[rng.integers(0, len(p.zh_first), zh.sum())]
    name[en] = p.en_first[rng.integers(0, len(p.en_first), en.sum())] + " " + \
        p.en_last[rng.integers(0, len(p.en_last), en.sum())]
    name[business] = p.company[rng.integers(0, len(p.company), business.sum())]

    province = np.array([c[1] for c in CITIES], dtype=object)
    city_en = np.array([c[2] for c in CITIES], dtype=object)
    city_zh = np.array([(c + "市" if prov != c + "市" else "") for prov, c in zip(province, CITY_ZH)], dtype=object)
    area = np.array([c[3] for c in CITIES], dtype=np.int64)[book.city]
    address = np.empty(nb, dtype=object)
    street_zh = p.zh_street[rng.integers(0, len(p.zh_street), nb)]
    address[:] = province[book.city] + city_zh[book.city] + street_zh
    address[en] = p.en_street[rng.integers(0, len(p.en_street), en.sum())] + ", " + city_en[book.city[en]] + \
        ", China"

    national_id = np.empty(nb, dtype=object)
    retail = ~business
    national_id[retail] = chinese_ids(rng, area[retail], birth[retail], male[retail], taken)
    national_id[business] = credit_codes(rng, area[business])
    phone = mobiles(rng, nb)

    income = np.exp(rng.normal(np.log(9_000), 0.55, nb))
    income[business] = np.exp(rng.normal(np.log(250_000), 0.9, business.sum()))     # monthly revenue
    income = np.round(income, -1)
    education = EDUCATION[rng.choice(5, nb, p=[0.22, 0.25, 0.38, 0.13, 0.02])]
    marital = MARITAL[rng.choice(4, nb, p=[0.30, 0.60, 0.08, 0.02])]
    locale = np.where(en, "en_US", "zh_CN").astype(object)
    none_if_business = lambda v: np.where(business, None, v)  # noqa: E731

    ids = [f"B{id_offset + i:08d}" for i in range(nb)]
    region = np.array([c[0] for c in CITIES], dtype=object)[book.city]
    table = pa.table({
        "borrower_id": pa.array(ids),
        "borrower_type": pa.array(np.where(business, "business", "retail").astype(object)),
        "name_enc": pa.array(pii.encrypt_many(name.tolist()), pa.string()),
        "national_id_enc": pa.array(pii.encrypt_many(national_id.tolist()), pa.string()),
        "phone_enc": pa.array(pii.encrypt_many(phone.tolist()), pa.string()),
        "address_enc": pa.array(pii.encrypt_many(address.tolist()), pa.string()),
        "national_id_hash": pa.array(pii.blind_index_many(national_id.tolist()), pa.string()),
        "gender": pa.array(none_if_business(np.where(male, "M", "F").astype(object)), pa.string()),
        "birth_year": pa.array(np.where(business, None, birth_year).astype(object), pa.int32()),
        "education": pa.array(none_if_business(education), pa.string()),
        "marital_status": pa.array(none_if_business(marital), pa.string()),
        "region": pa.array(region, pa.string()),
        "city": pa.array(city_en[book.city], pa.string()),
        "monthly_income": pa.array(income).cast(pa.decimal128(18, 2)),
        "locale": pa.array(locale, pa.string()),
    })
    return table, {"income": income, "business": business}
