"""RFC 6962 Merkle trees of bundles: the level-by-level tree equals the recursive definition,
every inclusion proof verifies, and a proof checked against any other leaf, index, size or root,
or with any hash of its path changed, fails."""

from __future__ import annotations

import hashlib

from hypothesis import given, settings
from hypothesis import strategies as st

from prokai.evidence.merkle import EMPTY_ROOT, MerkleTree, leaf_hash, node_hash, root_of, verify_inclusion

leaves = st.lists(st.binary(max_size=24), min_size=1, max_size=70)


@settings(max_examples=150, deadline=None)
@given(leaves)
def test_tree_root_is_the_rfc6962_hash(data: list[bytes]) -> None:
    hashed = [leaf_hash(d) for d in data]
    assert MerkleTree(hashed).root == root_of(hashed)


@settings(max_examples=150, deadline=None)
@given(leaves, st.data())
def test_every_proof_verifies_and_nothing_else_does(data: list[bytes], draw: st.DataObject) -> None:
    hashed = [leaf_hash(d) for d in data]
    tree = MerkleTree(hashed)
    n = len(hashed)
    i = draw.draw(st.integers(0, n - 1))
    path = tree.proof(i)
    assert verify_inclusion(hashed[i], i, n, path, tree.root)
    # another leaf, another index, another root (the size is signed in the manifest)
    other = leaf_hash(data[i] + b"x")
    assert not verify_inclusion(other, i, n, path, tree.root)
    j = draw.draw(st.integers(0, n - 1))
    if j != i and hashed[j] != hashed[i]:
        assert not verify_inclusion(hashed[i], j, n, path, tree.root)
    assert not verify_inclusion(hashed[i], i, n, path, hashlib.sha256(tree.root).digest())
    # any hash of the path changed, dropped or one added
    if path:
        k = draw.draw(st.integers(0, len(path) - 1))
        bent = list(path)
        bent[k] = hashlib.sha256(bent[k]).digest()
        assert not verify_inclusion(hashed[i], i, n, bent, tree.root)
        assert not verify_inclusion(hashed[i], i, n, path[:-1], tree.root)
    assert not verify_inclusion(hashed[i], i, n, [*path, tree.root], tree.root)
    assert not verify_inclusion(hashed[i], n, n, path, tree.root)


def test_known_small_trees() -> None:
    a, b, c = (leaf_hash(x) for x in (b"a", b"b", b"c"))
    assert MerkleTree([]).root == EMPTY_ROOT == hashlib.sha256(b"").digest()
    assert MerkleTree([a]).root == a
    assert MerkleTree([a, b, c]).root == node_hash(node_hash(a, b), c)
    assert MerkleTree([a, b, c]).proof(2) == [node_hash(a, b)]
    assert leaf_hash(b"a") == hashlib.sha256(b"\x00a").digest()
