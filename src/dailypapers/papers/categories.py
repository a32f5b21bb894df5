"""Names of arXiv categories, for labels and filters (https://arxiv.org/category_taxonomy)."""

from __future__ import annotations

import hashlib

NAMES: dict[str, str] = {
    "cs.AI": "Artificial Intelligence",
    "cs.AR": "Hardware Architecture",
    "cs.CC": "Computational Complexity",
    "cs.CE": "Computational Engineering",
    "cs.CG": "Computational Geometry",
    "cs.CL": "Computation and Language",
    "cs.CR": "Cryptography and Security",
    "cs.CV": "Computer Vision",
    "cs.CY": "Computers and Society",
    "cs.DB": "Databases",
    "cs.DC": "Distributed Computing",
    "cs.DL": "Digital Libraries",
    "cs.DM": "Discrete Mathematics",
    "cs.DS": "Data Structures and Algorithms",
    "cs.ET": "Emerging Technologies",
    "cs.FL": "Formal Languages",
    "cs.GL": "General Literature",
    "cs.GR": "Graphics",
    "cs.GT": "Game Theory",
    "cs.HC": "Human-Computer Interaction",
    "cs.IR": "Information Retrieval",
    "cs.IT": "Information Theory",
    "cs.LG": "Machine Learning",
    "cs.LO": "Logic in Computer Science",
    "cs.MA": "Multiagent Systems",
    "cs.MM": "Multimedia",
    "cs.MS": "Mathematical Software",
    "cs.NA": "Numerical Analysis",
    "cs.NE": "Neural and Evolutionary Computing",
    "cs.NI": "Networking",
    "cs.OS": "Operating Systems",
    "cs.PF": "Performance",
    "cs.PL": "Programming Languages",
    "cs.RO": "Robotics",
    "cs.SC": "Symbolic Computation",
    "cs.SD": "Sound",
    "cs.SE": "Software Engineering",
    "cs.SI": "Social and Information Networks",
    "cs.SY": "Systems and Control",
    "eess.AS": "Audio and Speech Processing",
    "eess.IV": "Image and Video Processing",
    "eess.SP": "Signal Processing",
    "eess.SY": "Systems and Control",
    "stat.AP": "Statistics Applications",
    "stat.CO": "Statistical Computation",
    "stat.ME": "Statistical Methodology",
    "stat.ML": "Machine Learning (Statistics)",
    "stat.TH": "Statistics Theory",
    "math.AP": "Analysis of PDEs",
    "math.CA": "Classical Analysis and ODEs",
    "math.CO": "Combinatorics",
    "math.DG": "Differential Geometry",
    "math.DS": "Dynamical Systems",
    "math.FA": "Functional Analysis",
    "math.MP": "Mathematical Physics",
    "math.NA": "Numerical Analysis",
    "math.OC": "Optimization and Control",
    "math.PR": "Probability",
    "math.ST": "Statistics Theory",
    "math-ph": "Mathematical Physics",
    "q-bio.NC": "Neurons and Cognition",
    "q-bio.QM": "Quantitative Methods",
    "q-fin.CP": "Computational Finance",
    "quant-ph": "Quantum Physics",
    "physics.comp-ph": "Computational Physics",
    "gr-qc": "General Relativity and Quantum Cosmology",
    "hep-th": "High Energy Physics - Theory",
    "astro-ph": "Astrophysics",
    "cond-mat": "Condensed Matter",
    "econ.EM": "Econometrics",
}


def category_name(code: str) -> str:
    """The human name of an arXiv category code, or the code itself when unknown."""
    return NAMES.get(code, code)


# arXiv archives that OAI-PMH groups under the `physics` set.
PHYSICS_ARCHIVES = frozenset(
    {"astro-ph", "cond-mat", "gr-qc", "hep-ex", "hep-lat", "hep-ph", "hep-th", "math-ph", "nlin",
     "nucl-ex", "nucl-th", "physics", "quant-ph"}
)  # fmt: skip


def oai_set(category: str) -> str:
    """The OAI-PMH set of a category: `cs.LG` -> `cs:cs:LG`, `hep-th` -> `physics:hep-th`.

    A group name (`cs`, `math`, `physics`) is itself a set; an empty category means every set.
    """
    if not category:
        return ""
    archive, _, subject = category.partition(".")
    if archive in PHYSICS_ARCHIVES:
        return f"physics:{archive}" + (f":{subject}" if subject else "")
    return f"{archive}:{archive}:{subject}" if subject else archive


def category_hue(code: str) -> int:
    """A category's hue, the same on cards, rows and thumbnails (papers of a field look alike)."""
    return int(hashlib.blake2b(code.encode(), digest_size=2).hexdigest(), 16) % 360
