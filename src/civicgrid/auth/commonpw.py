"""The common-password list (弱口令表), generated from well-known patterns — never downloaded.

``data/common-passwords.txt`` is the output of ``generate()``; ``python -m civicgrid.auth.commonpw``
rewrites it and a test checks that the file and the generator agree. The list holds what guessing
tools try first: digit runs and repeats, keyboard walks, English and pinyin favourites
(woaini, 5201314…), service words (admin, 政务/网格 in pinyin) and those bases with the usual
suffixes (years, 123, !@#). ``BASE_WORDS`` also feeds the "base word + digits/symbols" rule in
``auth.passwords``.
"""

from __future__ import annotations

from pathlib import Path

DATA_FILE = Path(__file__).parent / "data" / "common-passwords.txt"

# fmt: off
BASE_WORDS: tuple[str, ...] = (
    "password", "passw0rd", "p@ssw0rd", "p@ssword", "pass", "admin", "administrator", "root",
    "letmein", "welcome", "iloveyou", "monkey", "dragon", "football", "baseball", "sunshine",
    "princess", "master", "shadow", "superman", "batman", "trustno1", "hello", "freedom",
    "whatever", "qwerty", "qwertyuiop", "asdfgh", "asdfghjkl", "zxcvbn", "zxcvbnm", "qazwsx",
    "1qaz2wsx", "1q2w3e4r", "1q2w3e4r5t", "1q2w3e", "qweasd", "qweasdzxc", "zaq12wsx", "abc",
    "abcd", "abcde", "abcdef", "abc123", "test", "guest", "user", "login", "changeme", "default",
    "secret", "computer", "internet", "love", "lovely", "angel", "flower", "happy",
    # pinyin favourites and names
    "woaini", "woaiwojia", "wodemima", "mima", "aini", "nihao", "zhongguo", "china",
    "beijing", "shanghai", "guangzhou", "shenzhen", "changsha", "wuhan", "huawei", "xiaomi",
    "tencent", "baidu", "alibaba", "taobao", "weixin", "wechat", "zhangwei", "wangwei", "liwei",
    "wangfang", "liuyang", "zhangjie", "lijing", "wangjing", "zhangmin", "liuwei", "chenjie",
    "yangyang", "lanqiu", "zuqiu", "xingfu", "kuaile", "tiantian", "aiqing", "baobao", "laopo",
    "laogong",
    # service words
    "civicgrid", "wangge", "wanggeyuan", "zhengwu", "shequ", "jiedao", "yiwangtongguan",
    "zhihui", "gongdan", "rexian", "zhihuishequ", "xitong", "guanliyuan", "ceshi",
)

SUFFIXES: tuple[str, ...] = (
    "", "1", "12", "123", "1234", "12345", "123456", "!", "@", "#", "!@#", "@123", "#123", "123!",
    "888", "666", "520", "1314", "000", "111", "01", "007", "@2024", "@2025", "@2026",
    *(str(year) for year in range(1960, 2031)),
)

# fmt: on

_ROWS = ("1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm")


def _digit_patterns() -> set[str]:
    out: set[str] = set()
    digits = "0123456789"
    for n in range(6, 11):
        for start in range(0, 11 - n):
            out.add(digits[start : start + n])
        out.add("1234567890"[:n])
        out.add("9876543210"[:n])
        out.add("0987654321"[:n])
    for d in digits:
        for n in range(6, 13):
            out.add(d * n)
    for base in ("12", "123", "1234", "112233", "520", "1314", "5201314", "147258", "159357"):
        for times in (2, 3):
            out.add(base * times)
    out.update(
        {
            "123321",
            "1234321",
            "12344321",
            "654321",
            "7654321",
            "87654321",
            "987654321",
            "5201314",
            "1314520",
            "52013145201314",
            "147258369",
            "159753",
            "159357",
            "741852963",
            "789456123",
            "123456789a",
            "a123456789",
            "112233445566",
        }
    )
    # 8-digit birthdays are a family of their own (handled by a rule); a few famous ones here.
    out.update({"19491001", "20080808", "19900101", "20000101", "88888888", "66666666"})
    return out


def _keyboard_walks() -> set[str]:
    out: set[str] = set()
    for row in _ROWS:
        for n in range(6, len(row) + 1):
            out.add(row[:n])
            out.add(row[:n][::-1])
    out.update({"1qaz2wsx3edc", "qazwsxedc", "!qaz2wsx", "1qaz@wsx", "qwer1234", "asdf1234"})
    out.update({"zxcv1234", "qwe123", "asd123", "zxc123", "qwe123456", "asd123456"})
    return out


def generate() -> list[str]:
    """The sorted list, lower-case (the check lower-cases what it tests)."""
    words: set[str] = set()
    for base in BASE_WORDS:
        for suffix in SUFFIXES:
            words.add(base + suffix)
    for prefix in ("a", "aa", "abc", "qq", "wo", "admin", "root", "test", "pass"):
        for number in ("123", "1234", "12345", "123456", "123456789", "888", "666", "520"):
            words.add(prefix + number)
            words.add(number + prefix)
    words |= _digit_patterns() | _keyboard_walks()
    return sorted({w.lower() for w in words if len(w) >= 4})


def load() -> frozenset[str]:
    return frozenset(
        line.strip() for line in DATA_FILE.read_text(encoding="utf-8").splitlines() if line.strip()
    )


def write() -> int:
    words = generate()
    DATA_FILE.parent.mkdir(parents=True, exist_ok=True)
    DATA_FILE.write_text("\n".join(words) + "\n", encoding="utf-8")
    return len(words)


if __name__ == "__main__":
    print(f"{write()} passwords written to {DATA_FILE}")
