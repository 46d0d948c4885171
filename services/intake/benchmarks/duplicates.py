"""Duplicate-detection benchmark: precision and recall on a generated, labelled set.

    uv run python services/intake/benchmarks/duplicates.py [--people 5000] [--duplicates 0.12] [--seed 7]

Builds people from the programme's populations (West and Central African, Moroccan, Syrian
names), then registers some of them a second time with the variations met in the field: a typo,
another transliteration of an Arabic name, given and family names swapped, a new phone, another
office, day and month of birth swapped, a year-of-birth typo, a missing Arabic-script name.
Namesakes (same common name, different person) are added as hard negatives. Runs the matcher's
`all_pairs` over everything and prints precision, recall and the time taken.
"""

import argparse
import random
import string
import sys
import time
from dataclasses import replace
from datetime import date, timedelta

from work4life.intake.domain.duplicates import THRESHOLD, PersonKey, all_pairs

GIVEN_MALE = {
    "CIV": ["Yao", "Koffi", "Kouassi", "Serge", "Ibrahim", "Moussa", "Adama", "Seydou", "Franck", "Jean-Marc"],
    "SEN": ["Mamadou", "Cheikh", "Ousmane", "Abdoulaye", "Modou", "Ibrahima", "Pape", "Lamine", "Babacar", "Aliou"],
    "GIN": ["Alpha", "Sekou", "Mamadou", "Amadou", "Souleymane", "Thierno", "Boubacar", "Oumar", "Mohamed", "Lansana"],
    "CMR": ["Junior", "Eric", "Patrick", "Herve", "Blaise", "Christian", "Arnaud", "Rodrigue", "Landry", "Boris"],
    "COD": [
        "Jean",
        "Patrice",
        "Christian",
        "Dieudonne",
        "Emmanuel",
        "Trésor",
        "Glody",
        "Héritier",
        "Fiston",
        "Merveille",
    ],
    "SYR": ["Mohammed", "Ahmad", "Khaled", "Omar", "Youssef", "Hassan", "Mahmoud", "Ali", "Bilal", "Rami"],
    "MAR": ["Mohamed", "Youssef", "Hamza", "Ayoub", "Othmane", "Mehdi", "Anas", "Soufiane", "Hicham", "Rachid"],
}
GIVEN_FEMALE = {
    "CIV": ["Aminata", "Mariam", "Awa", "Adjoua", "Affoue", "Fatoumata", "Grace", "Estelle", "Nadege", "Sandrine"],
    "SEN": ["Fatou", "Aissatou", "Khady", "Ndeye", "Mariama", "Coumba", "Astou", "Rokhaya", "Bineta", "Awa"],
    "GIN": ["Fatoumata", "Mariama", "Kadiatou", "Hawa", "Aissatou", "Djenabou", "Mariame", "Oumou", "Fanta", "Saran"],
    "CMR": ["Brenda", "Carine", "Larissa", "Nadine", "Sandrine", "Vanessa", "Christelle", "Flore", "Laure", "Michelle"],
    "COD": ["Grace", "Esther", "Merveille", "Divine", "Ruth", "Sarah", "Naomie", "Gloria", "Bénédicte", "Rachel"],
    "SYR": ["Fatima", "Aya", "Rana", "Layla", "Nour", "Hala", "Mariam", "Rasha", "Lina", "Yasmin"],
    "MAR": ["Fatima Zahra", "Khadija", "Salma", "Imane", "Hajar", "Meryem", "Zineb", "Nadia", "Houda", "Siham"],
}
FAMILY = {
    "CIV": ["Kouame", "Konan", "Traore", "Coulibaly", "Ouattara", "Kone", "Yao", "Bamba", "Diabate", "N'Guessan"],
    "SEN": ["Diop", "Ndiaye", "Fall", "Sow", "Gueye", "Faye", "Sarr", "Ba", "Cisse", "Diallo"],
    "GIN": ["Diallo", "Bah", "Barry", "Camara", "Sylla", "Conde", "Keita", "Toure", "Soumah", "Balde"],
    "CMR": ["Mbarga", "Nkoulou", "Fotso", "Tchakounte", "Eto'o", "Ngono", "Atangana", "Kamga", "Nana", "Essomba"],
    "COD": ["Kabila", "Mbuyi", "Ilunga", "Kalonji", "Tshibanda", "Mukendi", "Kasongo", "Lukusa", "Mputu", "Nzuzi"],
    "SYR": ["Al Hassan", "Khalil", "Haddad", "Al Ahmad", "Darwish", "Hamdan", "Al Khatib", "Nasser", "Saleh", "Issa"],
    "MAR": [
        "El Amrani",
        "Benali",
        "Alaoui",
        "Idrissi",
        "Bennani",
        "Tazi",
        "El Fassi",
        "Berrada",
        "Chraibi",
        "Ouazzani",
    ],
}
TRANSLITERATIONS = [
    ("Mohamed", "Mohammed"),
    ("Mohammed", "Muhammad"),
    ("Mohamed", "Mouhamed"),
    ("Youssef", "Yousef"),
    ("Youssef", "Youcef"),
    ("Ahmad", "Ahmed"),
    ("Khaled", "Khalid"),
    ("Omar", "Oumar"),
    ("Hassan", "Hasan"),
    ("Fatima", "Fatma"),
    ("Mariam", "Maryam"),
    ("Aissatou", "Aichatou"),
    ("Ousmane", "Usman"),
    ("Ibrahim", "Ibrahima"),
    ("Abdoulaye", "Abdullahi"),
    ("Cheikh", "Sheikh"),
    ("Souleymane", "Sulayman"),
    ("Hamza", "Hamzah"),
    ("Al Hassan", "Alhassan"),
    ("El Amrani", "Amrani"),
    ("Khadija", "Khadidja"),
    ("Zineb", "Zaineb"),
    ("Meryem", "Maryem"),
    ("Idrissi", "Idrisi"),
    ("Saleh", "Salih"),
    ("Layla", "Leila"),
    ("Nour", "Noor"),
]
ARABIC = ["محمد", "يوسف", "فاطمة", "أحمد", "خالد", "مريم", "عمر", "حسن", "زينب", "خديجة"]


def typo(name: str, rng: random.Random) -> str:
    letters = [i for i, c in enumerate(name) if c.isalpha()]
    if len(letters) < 4:
        return name
    i = rng.choice(letters[1:])
    kind = rng.choice(["swap", "drop", "double", "replace"])
    if kind == "swap" and i + 1 < len(name):
        return name[:i] + name[i + 1] + name[i] + name[i + 2 :]
    if kind == "drop":
        return name[:i] + name[i + 1 :]
    if kind == "double":
        return name[:i] + name[i] + name[i:]
    return name[:i] + rng.choice(string.ascii_lowercase) + name[i + 1 :]


def transliterate(name: str, rng: random.Random) -> str:
    options = [b if a in name else a for a, b in TRANSLITERATIONS if a in name or b in name]
    for a, b in TRANSLITERATIONS:
        if a in name:
            return name.replace(a, b)
        if b in name:
            return name.replace(b, a)
    return typo(name, rng) if not options else options[0]


def phone(rng: random.Random) -> str:
    return "+21266" + "".join(rng.choice(string.digits) for _ in range(7))  # 066: a valid mobile range


def person(ref: int, rng: random.Random) -> PersonKey:
    nationality = rng.choice(list(FAMILY))
    sex = rng.choice(["female", "male"])
    given = rng.choice((GIVEN_FEMALE if sex == "female" else GIVEN_MALE)[nationality])
    born = date(1960, 1, 1) + timedelta(days=rng.randrange(0, 365 * 45))
    arabic = rng.random() < 0.3 and nationality in ("SYR", "MAR")
    return PersonKey(
        ref=ref,
        given_name=given,
        family_name=rng.choice(FAMILY[nationality]),
        date_of_birth=born,
        sex=sex,
        nationality=nationality,
        given_name_ar=rng.choice(ARABIC) if arabic else None,
        family_name_ar=rng.choice(ARABIC) if arabic else None,
        phone=phone(rng) if rng.random() < 0.8 else None,
        email=None,
        document_number=f"D{rng.randrange(10**7):07d}" if rng.random() < 0.5 else None,
    )


def variation(original: PersonKey, ref: int, rng: random.Random) -> PersonKey:
    """The same person registered again, as it happens: one or two changes at once."""
    twin = replace(
        original,
        ref=ref,
        phone=phone(rng) if rng.random() < 0.6 else original.phone,
        document_number=original.document_number if rng.random() < 0.3 else None,
    )
    for kind in rng.sample(
        ["typo", "transliteration", "swap", "dob_swap", "year_typo", "no_arabic"], k=rng.choice([1, 1, 2])
    ):
        if kind == "typo":
            twin = replace(twin, family_name=typo(twin.family_name, rng))
        elif kind == "transliteration":
            twin = replace(
                twin, given_name=transliterate(twin.given_name, rng), family_name=transliterate(twin.family_name, rng)
            )
        elif kind == "swap":
            twin = replace(twin, given_name=twin.family_name, family_name=twin.given_name)
        elif kind == "dob_swap" and twin.date_of_birth.day <= 12:
            d = twin.date_of_birth
            twin = replace(twin, date_of_birth=date(d.year, d.day, d.month))
        elif kind == "year_typo":
            d = twin.date_of_birth
            twin = replace(twin, date_of_birth=date(d.year + rng.choice([-1, 1]), d.month, min(d.day, 28)))
        elif kind == "no_arabic":
            twin = replace(twin, given_name_ar=None, family_name_ar=None)
    return twin


def namesake(original: PersonKey, ref: int, rng: random.Random) -> PersonKey:
    """A different person with the same common name, born another day (often the same year)."""
    shift = timedelta(days=rng.choice([rng.randrange(20, 300), rng.randrange(400, 4000)]))
    return replace(
        person(ref, rng),
        given_name=original.given_name,
        family_name=original.family_name,
        sex=original.sex,
        nationality=original.nationality,
        date_of_birth=original.date_of_birth + shift,
    )


def generate(people: int, duplicate_share: float, seed: int) -> tuple[list[PersonKey], set[frozenset]]:
    rng = random.Random(seed)
    records = [person(i, rng) for i in range(people)]
    truth: set[frozenset] = set()
    ref = people
    for original in rng.sample(records[:people], int(people * duplicate_share)):
        records.append(variation(original, ref, rng))
        truth.add(frozenset((original.ref, ref)))
        ref += 1
    for original in rng.sample(records[:people], int(people * 0.05)):
        records.append(namesake(original, ref, rng))
        ref += 1
    rng.shuffle(records)
    return records, truth


def evaluate(records: list[PersonKey], truth: set[frozenset], threshold: float = THRESHOLD) -> dict:
    started = time.perf_counter()
    found = {frozenset((a.ref, b.ref)) for a, b, _ in all_pairs(records, threshold)}
    elapsed = time.perf_counter() - started
    true_positives = len(found & truth)
    return {
        "records": len(records),
        "true_pairs": len(truth),
        "flagged": len(found),
        "precision": true_positives / len(found) if found else 1.0,
        "recall": true_positives / len(truth) if truth else 1.0,
        "seconds": elapsed,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=5000)
    parser.add_argument("--duplicates", type=float, default=0.12, help="share of people registered twice")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--threshold", type=float, default=THRESHOLD)
    args = parser.parse_args(argv)
    records, truth = generate(args.people, args.duplicates, args.seed)
    result = evaluate(records, truth, args.threshold)
    print(f"records            {result['records']}")
    print(f"true duplicate pairs {result['true_pairs']}")
    print(f"flagged pairs      {result['flagged']}")
    print(f"precision          {result['precision']:.3f}")
    print(f"recall             {result['recall']:.3f}")
    print(f"threshold          {args.threshold}")
    print(f"matching time      {result['seconds']:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
