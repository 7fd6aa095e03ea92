"""One set of account rules for the command line and the API."""

from __future__ import annotations

import pytest

from hemosight.core import accounts
from hemosight.core.store.base import ConflictError, Store

pytestmark = pytest.mark.anyio


async def test_the_rules_refuse_bad_input_with_a_reason(store: Store) -> None:
    with pytest.raises(accounts.AccountError, match="only letters"):
        await accounts.create_user(store, "bad name!", "long enough", "admin")
    with pytest.raises(accounts.AccountError, match="at least 8"):
        await accounts.create_user(store, "ann", "short", "admin")
    with pytest.raises(accounts.AccountError, match="Unknown role"):
        await accounts.create_user(store, "ann", "long enough", "king")
    assert await store.count_users() == 0
    ann = await accounts.create_user(store, "  ann ", "long enough", "admin")
    assert ann.username == "ann"
    with pytest.raises(ConflictError):
        await accounts.create_user(store, "ann", "long enough", "reviewer")


async def test_administrators_keep_their_own_role_and_account(store: Store) -> None:
    ann = await accounts.create_user(store, "ann", "long enough", "admin")
    rita = await accounts.create_user(store, "rita", "long enough", "reviewer")
    with pytest.raises(accounts.AccountError, match="own admin role"):
        await accounts.update_user(store, ann.id, ann, role="reviewer")
    with pytest.raises(accounts.AccountError, match="own account"):
        await accounts.delete_user(store, ann.id, ann)
    assert (await accounts.update_user(store, rita.id, ann, role="pathologist")).role == "pathologist"
    await accounts.delete_user(store, rita.id, ann)
    with pytest.raises(LookupError, match="does not exist"):
        await accounts.delete_user(store, rita.id, ann)
