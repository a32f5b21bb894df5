"""Issue 28: an author claim or a membership is verified only by a real domain of the
institution the affiliation names (Public Suffix List + swot + the curators' table); anything
else waits for a curator with the evidence; what the old rule accepted is checked again."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from dailypapers.authors import claims, domains, index, recheck
from dailypapers.authors.models import Claim, InstitutionDomain, Membership, Organization
from dailypapers.community.models import Profile
from dailypapers.papers.models import Paper

UTC = dt.UTC

# (address, affiliation, verified): every look-alike class of the issue, punycode and homoglyph
# domains, subdomains of real institution domains, and webmail.
CASES = [
    # Look-alikes: a label of the domain is a word (or the start of one) of the affiliation.
    ("a@oxford.example", "University of Oxford", False),
    ("a@oxford.com", "University of Oxford", False),
    ("a@oxford.co.uk", "University of Oxford", False),
    ("a@oxford.attacker.org", "University of Oxford", False),
    ("a@mit.co.uk", "Massachusetts Institute of Technology (MIT)", False),
    ("a@univer.example", "National University of Singapore", False),
    ("a@univer.com", "National University of Singapore", False),
    ("a@instit.example", "Max Planck Institute for Intelligent Systems", False),
    ("a@instit.de", "Max Planck Institute for Intelligent Systems", False),
    ("a@science.org", "Department of Computer Science, Stanford University", False),
    ("a@state.gov", "The Ohio State University", False),
    ("a@ohio.gov", "The Ohio State University", False),
    # A real institution's domain, but the affiliation names another institution.
    ("a@stanford.edu", "Harvard University", False),
    ("a@cs.ox.ac.uk", "Oxford Brookes University", False),
    ("a@ucop.edu", "University of California, Berkeley", False),
    # Punycode and homoglyph domains never verify by themselves.
    ("a@xn--oxfrd-8ua.ac.uk", "University of Oxford", False),
    ("a@xn--x-0tb.ac.uk", "University of Oxford", False),  # "ox" with a Cyrillic o (U+043E)
    ("a@\u043ex.ac.uk", "University of Oxford", False),  # the same, not encoded
    ("a@m\u0456t.edu", "Massachusetts Institute of Technology", False),  # a Cyrillic i (U+0456)
    ("a@ox.ac.uk.", "University of Oxford", True),  # a trailing dot is the same domain
    ("a@ac.uk", "University of Oxford", False),  # a public suffix is nobody's
    # Webmail never verifies.
    ("a@gmail.com", "Google", False),
    ("a@outlook.com", "Microsoft Research", False),
    ("a@qq.com", "Tencent", False),
    # Real domains, their subdomains, and the affiliations naming them.
    ("ada@ox.ac.uk", "University of Oxford", True),
    ("ada@cs.ox.ac.uk", "Department of Physics, University of Oxford, UK", True),
    ("ada@maths.ox.ac.uk", "The University of Oxford", True),
    ("a@mit.edu", "Massachusetts Institute of Technology", True),
    ("a@csail.mit.edu", "CSAIL, Massachusetts Institute of Technology, Cambridge, MA", True),
    ("a@cs.cmu.edu", "School of Computer Science, Carnegie Mellon University, Pittsburgh", True),
    ("a@osu.edu", "The Ohio State University", True),
    ("a@stanford.edu", "Department of Computer Science, Stanford Univ.", True),
    ("a@tsinghua.edu.cn", "Tsinghua University", True),
    ("a@ethz.ch", "ETH Zürich", True),
    ("a@ethz.ch", "ETH Zurich, Switzerland", True),
    ("a@berkeley.edu", "EECS, University of California, Berkeley", True),
    ("a@u-tokyo.ac.jp", "The University of Tokyo", True),
    ("a@mpi-inf.mpg.de", "Max Planck Institute for Informatics, Saarbrücken", True),
    # A swot subdomain names only its own institute, not the parent's others.
    ("a@mpi-inf.mpg.de", "Max Planck Institute for Intelligent Systems", False),
    ("a@mpg.de", "Max Planck Institute for Informatics", False),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("email", "affiliation", "verified"), CASES)
def test_the_domain_table(email, affiliation, verified):
    evidence = domains.verifies(email, [affiliation])
    assert evidence.verified is verified, evidence.text
    assert evidence.text.splitlines()[-1].startswith("Verified" if verified else "Not verified")


def test_registrable_domains_by_the_public_suffix_list():
    assert domains.registrable_domain("ada@cs.ox.ac.uk") == "ox.ac.uk"
    assert domains.registrable_domain("a@MIT.EDU") == "mit.edu"
    assert domains.registrable_domain("a@x.y.github.io") == "y.github.io"  # a private suffix
    assert domains.registrable_domain("a@ac.uk") is None
    assert domains.registrable_domain("a@oxford.example") is None  # not under a known suffix
    assert domains.registrable_domain("a@xn--oxfrd-8ua.ac.uk") is None
    assert domains.registrable_domain("a@\u043ex.ac.uk") is None
    assert domains.registrable_domain("nobody") is None


def test_names_are_compared_whole_and_normalised():
    assert domains.words("The Univ. of Tokyo") == ("university", "tokyo")
    assert domains.words("Universität Stuttgart") == ("university", "stuttgart")
    assert domains.words("Science & Technology") == ("science", "technology")


@pytest.mark.django_db
def test_the_evidence_says_why():
    text = domains.verifies("a@oxford.co.uk", ["University of Oxford"]).text
    assert "Registrable domain (Public Suffix List): oxford.co.uk" in text
    assert "no institution is known for oxford.co.uk" in text
    text = domains.verifies("a@cs.ox.ac.uk", ["Oxford Brookes University"]).text
    assert "University of Oxford (swot: ox.ac.uk): the affiliation does not name it." in text
    assert "webmail" in domains.verifies("a@gmail.com", ["Google"]).text
    assert "punycode" in domains.verifies("a@xn--oxfrd-8ua.ac.uk", ["x"]).text


@pytest.mark.django_db
def test_a_curator_adds_an_institution_domain():
    assert not domains.verifies("a@inria.fr", ["Inria, Paris, France"]).verified
    assert not domains.verifies("a@tuebingen.mpg.de", ["MPI for Biological Cybernetics"]).verified
    InstitutionDomain.objects.create(domain="inria.fr", name="Inria")
    InstitutionDomain.objects.create(
        domain="tuebingen.mpg.de", name="Max Planck Institute for Biological Cybernetics"
    )
    evidence = domains.verifies("a@team.inria.fr", ["Inria, Paris, France"])
    assert evidence.verified and "(curator: inria.fr)" in evidence.text
    assert domains.verifies(
        "a@tuebingen.mpg.de", ["Max Planck Institute for Biological Cybernetics, Tübingen"]
    ).verified
    # A one-word name must be a whole part of the affiliation, not a word inside one.
    assert not domains.verifies("a@inria.fr", ["Centre Inria de Paris"]).verified
    # A sibling under the same parent is not the curator's domain.
    assert not domains.verifies(
        "a@is.mpg.de", ["Max Planck Institute for Biological Cybernetics"]
    ).verified


@pytest.mark.django_db
def test_the_admin_form_refuses_suffixes_webmail_and_punycode(admin_client):
    for bad in ("ac.uk", "gmail.com", "xn--oxfrd-8ua.ac.uk", "not a domain"):
        page = admin_client.post(
            "/admin/people/institutiondomain/add/", {"domain": bad, "name": "University of X"}
        )
        assert page.status_code == 200, bad  # the form again, with the error
    admin_client.post(
        "/admin/people/institutiondomain/add/", {"domain": "Inria.FR", "name": "Inria"}
    )
    row = InstitutionDomain.objects.get()
    assert (row.domain, row.added_by.username) == ("inria.fr", "admin")


def member(name: str, email: str) -> User:
    user = User.objects.create_user(name, email, "x" * 12)
    Profile.objects.create(user=user, email_confirmed_at=timezone.now())
    return user


def make_paper(arxiv_id: str, authors: list[str], affiliations: list[list[str]]) -> Paper:
    return Paper.objects.create(
        arxiv_id=arxiv_id,
        title=f"On {arxiv_id}",
        abstract="An abstract.",
        authors=authors,
        affiliations=affiliations,
        categories=["cs.LG"],
        primary_category="cs.LG",
        published_at=dt.datetime(2026, 5, 1, 12, tzinfo=UTC),
    )


@pytest.mark.django_db
def test_a_look_alike_claim_waits_with_evidence_and_a_real_one_is_accepted(client, admin_client):
    make_paper(
        "2605.00001",
        ["Ada Lovelace", "Alan Turing"],
        [["Department of Physics, University of Oxford, UK"], ["University of Oxford"]],
    )
    index.catch_up()
    client.force_login(member("eve", "eve@oxford-university.com"))
    client.post("/papers/2605.00001/claim", {"position": "0"})
    eve = Claim.objects.get(user__username="eve")
    assert (eve.status, eve.by_domain, eve.email) == (
        Claim.PENDING,
        False,
        "eve@oxford-university.com",
    )
    assert "no institution is known for oxford-university.com" in eve.evidence
    assert "waits for a curator" in client.get("/papers/2605.00001").content.decode()
    assert ">eve</a>&nbsp;is" not in client.get("/papers/2605.00001").content.decode()
    client.force_login(member("ada", "ada@physics.ox.ac.uk"))
    client.post("/papers/2605.00001/claim", {"position": "0"})
    ada = Claim.objects.get(user__username="ada")
    assert (ada.status, ada.by_domain) == (Claim.ACCEPTED, True)
    assert "Verified: the affiliation names University of Oxford" in ada.evidence
    assert ">ada</a>&nbsp;is Ada Lovelace" in client.get("/papers/2605.00001").content.decode()
    # The curators' queue shows the evidence.
    queue = admin_client.get("/admin/people/claim/").content.decode()
    assert "no institution is known for oxford-university.com" in queue
    assert (
        "eve@oxford-university.com"
        in admin_client.get(f"/admin/people/claim/{eve.pk}/change/").content.decode()
    )


@pytest.mark.django_db
def test_memberships_wait_for_a_curator_unless_verified(client, admin_client):
    Organization.objects.create(key="university-of-oxford", name="University of Oxford")
    client.force_login(member("eve", "eve@oxford.co.uk"))
    page = client.get("/orgs/university-of-oxford").content.decode()
    assert "a curator will check" in page
    client.post("/orgs/university-of-oxford/join")
    eve = Membership.objects.get(user__username="eve")
    assert eve.status == Membership.PENDING and "oxford.co.uk" in eve.evidence
    page = client.get("/orgs/university-of-oxford").content.decode()
    assert "waiting for a curator · withdraw" in page and "1 member" not in page
    client.force_login(member("ada", "ada@cs.ox.ac.uk"))
    client.post("/orgs/university-of-oxford/join")
    assert Membership.objects.get(user__username="ada").status == Membership.ACCEPTED
    page = client.get("/orgs/university-of-oxford").content.decode()
    assert "1 member" in page and 'class="chip" href="/users/ada"' in page
    assert 'class="chip" href="/users/eve"' not in page
    # A curator accepts Eve from the queue.
    admin_client.post(
        "/admin/people/membership/", {"action": "accept", "_selected_action": [eve.pk]}
    )
    eve.refresh_from_db()
    assert (eve.status, eve.by_domain, eve.decided_by.username) == (
        Membership.ACCEPTED,
        False,
        "admin",
    )


@pytest.mark.django_db
def test_the_recheck_returns_old_look_alike_acceptances_to_pending(smtp_server, capsys):
    made = make_paper(
        "2605.00001",
        ["Ada Lovelace", "Alan Turing", "Grace Hopper"],
        [["University of Oxford"], ["University of Oxford"], ["University of Oxford"]],
    )
    eve, ada, grace = (
        member("eve", "eve@oxford.co.uk"),
        member("ada", "ada@cs.ox.ac.uk"),
        member("grace", "grace@gmail.com"),
    )
    curator = User.objects.create_superuser("cur", "c@example.org", "x" * 12)
    old = {"status": Claim.ACCEPTED, "by_domain": True, "reason": "email domain matches “x”"}
    Claim.objects.create(user=eve, paper=made, position=1, **old)
    Claim.objects.create(user=ada, paper=made, position=0, **old)
    by_curator = Claim.objects.create(user=grace, paper=made, position=2)
    claims.decide(by_curator, curator, accept=True)
    org = Organization.objects.create(key="university-of-oxford", name="University of Oxford")
    Membership.objects.create(
        user=eve, organization=org, email=eve.email, status="accepted", by_domain=True
    )
    call_command("authors", "recheck", "--dry-run")
    assert "2 would wait for a curator again" in capsys.readouterr().out
    assert Claim.objects.filter(status=Claim.ACCEPTED).count() == 3
    call_command("authors", "recheck")
    out = capsys.readouterr().out
    assert "Checked 3 claims and memberships" in out and "1 holders told" in out
    assert Claim.objects.get(user=eve).status == Claim.PENDING
    assert "no institution is known for oxford.co.uk" in Claim.objects.get(user=eve).evidence
    assert Membership.objects.get(user=eve).status == Membership.PENDING
    assert Claim.objects.get(user=ada).status == Claim.ACCEPTED  # still verifies
    assert Claim.objects.get(user=grace).status == Claim.ACCEPTED  # a curator's word stands
    [message] = smtp_server.to("eve@oxford.co.uk")
    assert "2 of your claims and memberships wait for a curator again" in message["Subject"]
    body = message.get_body(("plain",)).get_content()
    assert "Alan Turing" in body and "University of Oxford" in body
    assert not smtp_server.to("ada@cs.ox.ac.uk") and not smtp_server.to("grace@gmail.com")
    assert recheck.recheck().pending == 0  # nothing twice


@pytest.mark.django_db(transaction=True)
def test_the_pending_cap_holds_under_parallel_claims():
    """40 threads, each on its own connection, claim 40 papers for one user at once."""
    papers = [make_paper(f"2605.{i:05d}", ["Ada Lovelace"], [["Somewhere"]]) for i in range(40)]
    ada = member("ada", "ada@example.org")
    barrier = threading.Barrier(len(papers))
    outcomes: list[str] = []

    def claim(paper: Paper) -> None:
        try:
            barrier.wait()
            claims.claim(ada, paper, 0)
            outcomes.append("made")
        except claims.ClaimError:
            outcomes.append("refused")
        except Exception as exc:  # pragma: no cover - reported by the assertion
            outcomes.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=claim, args=(p,)) for p in papers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(set(outcomes)) == ["made", "refused"], outcomes
    assert Claim.objects.filter(user=ada, status=Claim.PENDING).count() == claims.MAX_PENDING
