"""Maven 3's resolution rules, each on a synthetic repository served over HTTP.

Every scenario here was also resolved by Apache Maven 3.8.7 (`mvn dependency:list
-DincludeScope=test` on an equivalent POM against the same repository) when it was written; the
expected results are what Maven answered.
"""

from __future__ import annotations

from tools.maven.tests.mavenfixtures import bom_import, dep


def test_parents_properties_and_interpolation_after_inheritance(site):
    r = site.repository
    # The grandparent's ${project.version} and ${chained} are interpolated in the child's model:
    # the child's version and the parent's override of lib.version count.
    r.pom("t:grand:1", packaging="pom",
          properties={"lib.version": "1.0", "chained": "${lib.version}"},
          managed=[dep("t:lib:${chained}")],
          dependencies=[dep("t:util:${project.version}")])
    r.pom("t:parent:2", parent="t:grand:1", packaging="pom", properties={"lib.version": "2.0"})
    r.artifact("t:app:7", dep("t:lib"), dep("t:sib:${project.parent.version}"), dep("t:named:${pom.version}"),
               parent="t:parent:2")
    for c in ("t:util:7", "t:lib:1.0", "t:lib:2.0", "t:sib:2", "t:named:7"):
        r.artifact(c)
    assert site.resolve(["t:app:7"]) == {
        "t:app": ("7", "compile"),
        "t:lib": ("2.0", "compile"),
        "t:sib": ("2", "compile"),
        "t:named": ("7", "compile"),
        "t:util": ("7", "compile"),
    }


def test_group_and_version_inherited_from_parent(site):
    r = site.repository
    r.pom("t:p:3", packaging="pom", managed=[dep("t:x:1.5")])
    r.artifact("t:child:3", dep("t:x"), dep("t:y:${project.version}"), parent="t:p:3", omit_group=True,
               omit_version=True)
    r.artifact("t:x:1.5")
    r.artifact("t:y:3")
    assert site.resolve(["t:child:3"]) == {"t:child": ("3", "compile"), "t:x": ("1.5", "compile"),
                                           "t:y": ("3", "compile")}


def test_bom_import_overrides_transitive_version_with_precedence(site):
    r = site.repository
    r.pom("t:bom2:1", packaging="pom", managed=[dep("t:c:9.0"), dep("t:d:5.0")])
    # A BOM's own entries win over what it imports; the first of several BOMs wins; the
    # manifest's managed entries win over every BOM.
    r.pom("t:bom:1", packaging="pom", managed=[dep("t:c:2.0"), bom_import("t:bom2:1")])
    r.pom("t:bom-other:1", packaging="pom", managed=[dep("t:c:3.0"), dep("t:e:1.1"), dep("t:f:4.0")])
    r.artifact("t:a:1", dep("t:c:1.0"), dep("t:d:4.0"), dep("t:e:1.0"), dep("t:f:1.0"))
    for c in ("t:c:2.0", "t:d:5.0", "t:e:1.2", "t:f:4.0"):
        r.artifact(c)
    assert site.resolve(["t:a:1"], boms=["t:bom:1", "t:bom-other:1"], managed=["t:e:1.2"]) == {
        "t:a": ("1", "compile"),
        "t:c": ("2.0", "compile"),
        "t:d": ("5.0", "compile"),
        "t:e": ("1.2", "compile"),
        "t:f": ("4.0", "compile"),
    }


def test_bom_gives_direct_dependency_versions_and_bom_parent_counts(site):
    r = site.repository
    r.pom("t:bom-parent:1", packaging="pom", properties={"x.version": "2.5"})
    r.pom("t:bom:1", packaging="pom", parent="t:bom-parent:1", managed=[dep("t:x:${x.version}")])
    r.artifact("t:x:2.5")
    assert site.resolve(["t:x"], boms=["t:bom:1"]) == {"t:x": ("2.5", "compile")}


def test_nearest_wins_and_management_beats_nearest(site):
    r = site.repository
    r.artifact("t:a:1", dep("t:b:1"))
    r.artifact("t:b:1", dep("t:x:1.0"))  # x at depth 3
    r.artifact("t:c:1", dep("t:x:2.0"))  # x at depth 2
    for v in ("1.0", "2.0", "3.0"):
        r.artifact(f"t:x:{v}")
    nearest = site.resolve(["t:a:1", "t:c:1"])
    assert nearest["t:x"] == ("2.0", "compile")
    managed = site.resolve(["t:a:1", "t:c:1"], managed=["t:x:3.0"])
    assert managed["t:x"] == ("3.0", "compile")
    # A direct dependency's own version is final: management only fills in a missing one.
    direct = site.resolve(["t:a:1", "t:x:1.0"], managed=["t:x:3.0"])
    assert direct["t:x"] == ("1.0", "compile")


def test_first_declaration_wins_at_equal_depth(site):
    r = site.repository
    r.artifact("t:p:1", dep("t:y:1.0"))
    r.artifact("t:q:1", dep("t:y:2.0"))
    r.artifact("t:y:1.0", dep("t:only-in-y1:1"))
    r.artifact("t:y:2.0")
    r.artifact("t:only-in-y1:1")
    first = site.resolve(["t:p:1", "t:q:1"])
    assert first["t:y"] == ("1.0", "compile")
    assert "t:only-in-y1" in first
    second = site.resolve(["t:q:1", "t:p:1"])
    assert second["t:y"] == ("2.0", "compile")
    # What only the losing version brought is gone with it.
    assert "t:only-in-y1" not in second


def test_a_dependencys_management_shapes_only_its_own_dependencies(site):
    r = site.repository
    # m manages z and w; that reaches m's own dependencies (w) but not z below n (Maven 3).
    r.artifact("t:m:1", dep("t:n:1"), dep("t:w"), managed=[dep("t:z:2.0"), dep("t:w:3.0")])
    r.artifact("t:n:1", dep("t:z:1.0"))
    for c in ("t:z:1.0", "t:z:2.0", "t:w:3.0"):
        r.artifact(c)
    resolved = site.resolve(["t:m:1"])
    assert resolved["t:z"] == ("1.0", "compile")
    assert resolved["t:w"] == ("3.0", "compile")


def test_exclusions_on_an_intermediate_and_wildcards(site):
    r = site.repository
    r.artifact("t:a:1", dep("t:b:1", exclusions=["t:c"]))
    r.artifact("t:b:1", dep("t:c:1"), dep("t:k:1"))
    r.artifact("t:c:1", dep("t:d:1"))
    r.artifact("t:d:1")
    r.artifact("t:k:1")
    r.artifact("t:g:1", dep("t:g1:1"), dep("t2:g2:1"))
    r.artifact("t:h:1", dep("t2:h1:1"), dep("t:h2:1"))
    for c in ("t:g1:1", "t2:g2:1", "t2:h1:1", "t:h2:1"):
        r.artifact(c)
    resolved = site.resolve([
        "t:a:1",
        {"coordinates": "t:g:1", "exclusions": ["*:*"]},
        {"coordinates": "t:h:1", "exclusions": ["t2:*"]},
    ])
    assert set(resolved) == {"t:a", "t:b", "t:k", "t:g", "t:h", "t:h2"}
    # Reached on another path without the exclusion, c (and what it brings) is back.
    r.artifact("t:f:1", dep("t:c:1"))
    again = site.resolve(["t:a:1", "t:f:1"])
    assert {"t:c", "t:d"} <= set(again)


def test_optional_dependencies_are_not_transitive(site):
    r = site.repository
    r.artifact("t:a:1", dep("t:opt:1", optional=True), dep("t:plain:1"))
    r.artifact("t:o2:1", dep("t:o2-opt:1", optional=True))
    for c in ("t:opt:1", "t:plain:1", "t:o2-opt:1"):
        r.artifact(c)
    resolved = site.resolve(["t:a:1", {"coordinates": "t:o2:1", "optional": True}])
    # A direct optional dependency is on the classpath; optional ones below it are not.
    assert set(resolved) == {"t:a", "t:plain", "t:o2"}


def test_test_and_provided_scopes_do_not_propagate(site):
    r = site.repository
    r.artifact("t:a:1", dep("t:only-test:1", scope="test"), dep("t:only-provided:1", scope="provided"),
               dep("t:rt:1", scope="runtime"))
    r.artifact("t:junitish:1", dep("t:k:1"))
    r.artifact("t:srv:1", dep("t:l:1"))
    r.artifact("t:r:1", dep("t:s:1"))
    for c in ("t:only-test:1", "t:only-provided:1", "t:rt:1", "t:k:1", "t:l:1", "t:s:1"):
        r.artifact(c)
    resolved = site.resolve([
        "t:a:1",
        {"coordinates": "t:junitish:1", "scope": "test"},
        {"coordinates": "t:srv:1", "scope": "provided"},
        {"coordinates": "t:r:1", "scope": "runtime"},
    ])
    assert resolved == {
        "t:a": ("1", "compile"),
        "t:rt": ("1", "runtime"),
        "t:junitish": ("1", "test"),
        "t:k": ("1", "test"),
        "t:srv": ("1", "provided"),
        "t:l": ("1", "provided"),
        "t:r": ("1", "runtime"),
        "t:s": ("1", "runtime"),
    }


def test_scope_is_the_widest_over_all_paths_but_a_direct_one_is_final(site):
    r = site.repository
    r.artifact("t:tst:1", dep("t:shared:1"))
    r.artifact("t:a:1", dep("t:b:1"))
    r.artifact("t:b:1", dep("t:shared:1"))
    r.artifact("t:shared:1", dep("t:below:1"))
    r.artifact("t:below:1")
    # shared is nearest under the test dependency, but also needed at compile scope.
    widest = site.resolve([{"coordinates": "t:tst:1", "scope": "test"}, "t:a:1"])
    assert widest["t:shared"] == ("1", "compile")
    assert widest["t:below"] == ("1", "compile")
    assert widest["t:tst"] == ("1", "test")
    # Declared directly with scope test, it stays test although a compile path needs it.
    lock = site.lock(["t:a:1", {"coordinates": "t:shared:1", "scope": "test"}])
    assert lock["artifacts"]["t:shared"]["scope"] == "test"
    assert lock["artifacts"]["t:shared"]["closure"] == "test"
    # The runtime artifact b keeps no edge to the test-only shared.
    assert lock["artifacts"]["t:b"]["dependencies"] == []


def test_root_management_sets_scope_below_direct_dependencies(site):
    r = site.repository
    r.artifact("t:a:1", dep("t:ms:1"), dep("t:mt:1"))
    r.artifact("t:ms:1")
    r.artifact("t:mt:1")
    resolved = site.resolve(["t:a:1"], managed=[{"coordinates": "t:ms:1", "scope": "runtime"},
                                                 {"coordinates": "t:mt:1", "scope": "test"}])
    assert resolved["t:ms"] == ("1", "runtime")
    assert resolved["t:mt"] == ("1", "test")


def test_classifiers_types_and_pom_artifacts(site):
    r = site.repository
    r.pom("t:nat:1")
    r.jar("t:nat:1", classifier="linux-x86_64")
    r.artifact("t:a:1", dep("t:util:1", type="test-jar"))
    r.pom("t:util:1")
    r.jar("t:util:1", classifier="tests")
    r.pom("t:agg:1", packaging="pom", dependencies=[dep("t:member:1")])
    r.artifact("t:member:1")
    lock = site.lock([{"coordinates": "t:nat:1", "classifier": "linux-x86_64"}, "t:a:1",
                      {"coordinates": "t:agg:1", "type": "pom"}])
    artifacts = lock["artifacts"]
    assert set(artifacts) == {"t:nat:jar:linux-x86_64", "t:a", "t:util:jar:tests", "t:agg:pom", "t:member"}
    assert artifacts["t:nat:jar:linux-x86_64"]["file"] == "nat-1-linux-x86_64.jar"
    assert artifacts["t:nat:jar:linux-x86_64"]["classifier"] == "linux-x86_64"
    assert artifacts["t:util:jar:tests"]["file"] == "util-1-tests.jar"
    assert artifacts["t:agg:pom"]["packaging"] == "pom"
    assert artifacts["t:agg:pom"]["file"] == "agg-1.pom"
    assert artifacts["t:agg:pom"]["dependencies"] == ["t:member"]
    assert artifacts["t:agg:pom"]["urls"] == [f"{site.url}t/agg/1/agg-1.pom"]


def test_relocation(site):
    r = site.repository
    r.pom("t:old:1", relocation="t2:new:1")
    r.artifact("t2:new:1", dep("t:n-dep:1"))
    r.artifact("t:n-dep:1")
    r.artifact("t:user:1", dep("t:old:1"))
    assert site.resolve(["t:user:1"]) == {"t:user": ("1", "compile"), "t2:new": ("1", "compile"),
                                          "t:n-dep": ("1", "compile")}


def test_profiles_activation(site):
    r = site.repository
    profiles = (
        "<profile><id>default</id><activation><activeByDefault>true</activeByDefault></activation>"
        f"<dependencies>{dep('t:pd:1')}</dependencies></profile>"
        "<profile><id>java9</id><activation><jdk>[9,)</jdk></activation>"
        f"<dependencies>{dep('t:pj:1')}</dependencies></profile>"
        "<profile><id>java8</id><activation><jdk>1.8</jdk></activation>"
        f"<dependencies>{dep('t:p8:1')}</dependencies></profile>"
        "<profile><id>prop</id><activation><property><name>!skip.it</name></property></activation>"
        "<properties><v>2</v></properties></profile>"
    )
    r.artifact("t:prof:1", dep("t:pv:${v}"), profiles=profiles, properties={"v": "1"})
    r.artifact("t:prof2:1", profiles=profiles.split("<profile><id>java9")[0])
    for c in ("t:pd:1", "t:pj:1", "t:p8:1", "t:pv:1", "t:pv:2"):
        r.artifact(c)
    # jdk [9,) and !skip.it hold for JDK 17: the activeByDefault profile is then not active.
    assert site.resolve(["t:prof:1"]) == {"t:prof": ("1", "compile"), "t:pj": ("1", "compile"),
                                          "t:pv": ("2", "compile")}
    assert site.resolve(["t:prof2:1"]) == {"t:prof2": ("1", "compile"), "t:pd": ("1", "compile")}


def test_cycles_end(site):
    r = site.repository
    r.artifact("t:a:1", dep("t:b:1"))
    r.artifact("t:b:1", dep("t:a:2"))
    r.artifact("t:a:2", dep("t:never:1"))
    lock = site.lock(["t:a:1"])
    assert {k: a["version"] for k, a in lock["artifacts"].items()} == {"t:a": "1", "t:b": "1"}
    # The edge back to a is dropped, so the edges stay acyclic.
    assert lock["artifacts"]["t:a"]["dependencies"] == ["t:b"]
    assert lock["artifacts"]["t:b"]["dependencies"] == []


def test_same_dependency_twice_in_one_pom_the_last_declaration_wins(site):
    r = site.repository
    r.artifact("t:dup-a:1", dep("t:dup:2.0"), dep("t:dup:1.0"))
    r.artifact("t:dup-b:1", dep("t:dup:1.0"), dep("t:dup:2.0"))
    r.artifact("t:dup:1.0")
    r.artifact("t:dup:2.0")
    assert site.resolve(["t:dup-a:1"])["t:dup"] == ("1.0", "compile")
    assert site.resolve(["t:dup-b:1"])["t:dup"] == ("2.0", "compile")


def test_siblings_naming_one_artifact_the_higher_version_wins(site):
    r = site.repository
    # test-jar and jar:tests are different declarations of the same artifact.
    r.artifact("t:sib:1", dep("t:s:1", type="test-jar"), dep("t:s:2", classifier="tests"))
    r.artifact("t:sib2:1", dep("t:s:2", classifier="tests"), dep("t:s:1", type="test-jar"))
    for v in ("1", "2"):
        r.pom(f"t:s:{v}")
        r.jar(f"t:s:{v}", classifier="tests")
    assert site.resolve(["t:sib:1"])["t:s:jar:tests"] == ("2", "compile")
    assert site.resolve(["t:sib2:1"])["t:s:jar:tests"] == ("2", "compile")


def test_lock_edges_are_the_resolved_direct_dependencies(site):
    r = site.repository
    r.artifact("t:a:1", dep("t:b:1"), dep("t:c:1"))
    r.artifact("t:b:1", dep("t:c:2"))
    r.artifact("t:c:1")
    r.artifact("t:c:2")
    artifacts = site.lock(["t:a:1"])["artifacts"]
    assert artifacts["t:a"]["dependencies"] == ["t:b", "t:c"]
    # b asked for c 2, which lost; its edge points at the winner (the lock has one c).
    assert artifacts["t:b"]["dependencies"] == ["t:c"]
    assert artifacts["t:c"]["version"] == "1"


def test_managed_exclusions_apply_at_every_depth(site):
    r = site.repository
    r.artifact("t:a:1", dep("t:b:1"))
    r.artifact("t:b:1", dep("t:c:1"), dep("t:keep:1"))
    r.artifact("t:d:1", dep("t:e:1"))
    for c in ("t:c:1", "t:keep:1", "t:e:1"):
        r.artifact(c)
    resolved = site.resolve(["t:a:1", "t:d"], managed=[{"coordinates": "t:b:1", "exclusions": ["t:c"]},
                                                       {"coordinates": "t:d:1", "exclusions": ["t:e"]}])
    assert set(resolved) == {"t:a", "t:b", "t:keep", "t:d"}
