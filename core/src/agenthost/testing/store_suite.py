"""The store conformance suite: what every store (memory, sqlite, redis, ...) must pass.

A store's test module subclasses ``StoreSuite`` and supplies an open store::

    from agenthost.testing.store_suite import StoreSuite

    class TestMyStore(StoreSuite):
        @pytest_asyncio.fixture
        async def store(self) -> AsyncIterator[Store]:
            store = MyStore(MyOptions(...))
            await store.open()
            yield store
            await store.close()

Each test uses fresh names (a uuid), so a suite may share one backing database between
tests. Every check goes through the public ``Store`` API.
"""

from __future__ import annotations

import uuid

import pytest

from ..events import Message, Principal, Usage
from ..store import RunRecord, Store


def _fresh(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@pytest.mark.asyncio
class StoreSuite:
    """Subclass with an async ``store`` fixture yielding an open store; see the module doc."""

    async def test_history_appends_in_order_per_session(self, store: Store) -> None:
        session, other = _fresh("s"), _fresh("s")
        await store.append_messages(session, [Message.text("one"), Message.text("two")])
        await store.append_messages(other, [Message.text("elsewhere")])
        reply = Message.text("three", role="assistant")
        await store.append_messages(session, [reply])
        history = await store.get_messages(session)
        assert [m.text_content for m in history] == ["one", "two", "three"]
        assert history[2].role == "assistant" and history[2].id == reply.id
        assert [m.text_content for m in await store.get_messages(other)] == ["elsewhere"]
        assert await store.get_messages(_fresh("never")) == []

    async def test_delete_messages_removes_only_those(self, store: Store) -> None:
        session = _fresh("s")
        kept, gone, also_gone = Message.text("a"), Message.text("b"), Message.text("c")
        await store.append_messages(session, [kept, gone, also_gone])
        await store.delete_messages(session, {gone.id, also_gone.id, "m_unknown"})
        assert [m.id for m in await store.get_messages(session)] == [kept.id]
        await store.delete_messages(_fresh("never"), {kept.id})  # no such session: no error

    async def test_run_records_round_trip_and_update(self, store: Store) -> None:
        record = RunRecord(
            run_id=_fresh("r"), agent="echo", session_id="s1", owner="alice",
            input=[Message.text("hi")], metadata={"k": [1, 2]},
        )
        await store.save_run(record)
        assert await store.get_run(record.run_id) == record
        record.status = "completed"
        record.output = [Message.text("hello", role="assistant")]
        record.usage = Usage(input_tokens=3, output_tokens=5, total_tokens=8)
        record.finished_at = record.created_at + 1
        await store.save_run(record)
        assert await store.get_run(record.run_id) == record
        await store.delete_run(record.run_id)
        assert await store.get_run(record.run_id) is None
        await store.delete_run(record.run_id)  # twice: no error
        assert await store.get_run(_fresh("r")) is None

    async def test_delete_session_forgets_history_and_its_runs_only(self, store: Store) -> None:
        alice = Principal(id=_fresh("alice"))
        session = _fresh("s")
        mine = RunRecord(run_id=_fresh("r"), agent="a", session_id=session, owner=alice.id)
        same_name_other_owner = RunRecord(run_id=_fresh("r"), agent="a", session_id=session)
        other_session = RunRecord(
            run_id=_fresh("r"), agent="a", session_id=_fresh("s"), owner=alice.id
        )
        for record in (mine, same_name_other_owner, other_session):
            await store.save_run(record)
        await store.append_messages(alice.key(session), [Message.text("hi")])
        await store.append_messages(session, [Message.text("anonymous's")])
        await store.delete_session(alice.key(session))
        assert await store.get_messages(alice.key(session)) == []
        assert await store.get_run(mine.run_id) is None
        assert await store.get_run(same_name_other_owner.run_id) == same_name_other_owner
        assert await store.get_run(other_session.run_id) == other_session
        assert [m.text_content for m in await store.get_messages(session)] == ["anonymous's"]

    async def test_keyed_space_scans_in_insertion_order(self, store: Store) -> None:
        ns = _fresh("tasks")
        for key in ["b", "a", "c"]:
            await store.put(ns, key, {"k": key})
        await store.put(ns, "a", {"k": "a2", "nested": {"list": [1, None, "x"]}})
        assert [k for k, _ in await store.scan(ns)] == ["b", "a", "c"]  # an update keeps its place
        assert await store.get(ns, "a") == {"k": "a2", "nested": {"list": [1, None, "x"]}}
        assert await store.scan(ns, after="b", limit=1) == [
            ("a", {"k": "a2", "nested": {"list": [1, None, "x"]}})
        ]
        assert [k for k, _ in await store.scan(ns, after="a")] == ["c"]
        assert await store.scan(ns, after="c") == []
        assert await store.scan(ns, after="unknown") == []
        assert [k for k, _ in await store.scan(ns, limit=2)] == ["b", "a"]

    async def test_keyed_space_delete_and_namespaces(self, store: Store) -> None:
        ns, other = _fresh("tasks"), _fresh("tasks")
        await store.put(ns, "k", {"v": 1})
        await store.put(other, "k", {"v": 2})
        assert await store.delete(ns, "k") is True
        assert await store.delete(ns, "k") is False
        assert await store.get(ns, "k") is None
        assert await store.get(other, "k") == {"v": 2}
        assert await store.scan(ns) == []
        assert await store.scan(_fresh("empty")) == []
        await store.put(ns, "k", {"v": 3})  # put again after a delete: at the end
        await store.put(ns, "j", {"v": 4})
        assert [k for k, _ in await store.scan(ns)] == ["k", "j"]

    async def test_owned_namespaces_do_not_collide(self, store: Store) -> None:
        from ..store import owned_namespace

        ns = _fresh("responses")
        alice, bob = Principal(id="alice"), Principal(id="bob")
        await store.put(owned_namespace(ns, alice), "resp_1", {"who": "alice"})
        await store.put(owned_namespace(ns, bob), "resp_1", {"who": "bob"})
        assert await store.get(owned_namespace(ns, alice), "resp_1") == {"who": "alice"}
        assert [v for _, v in await store.scan(owned_namespace(ns, bob))] == [{"who": "bob"}]

    async def test_text_survives_exactly(self, store: Store) -> None:
        session, ns = _fresh("s"), _fresh("ns")
        text = "naïve ☃ \U0001f600 \"quoted\" \\ back\nslash \x00 nul"
        await store.append_messages(session, [Message.text(text)])
        assert (await store.get_messages(session))[0].text_content == text
        await store.put(ns, "ключ ☃", {"text": text})
        assert await store.get(ns, "ключ ☃") == {"text": text}
        assert await store.scan(ns) == [("ключ ☃", {"text": text})]

    @pytest.mark.parametrize("count", [250])
    async def test_many_entries_page_through_scan(self, store: Store, count: int) -> None:
        ns = _fresh("ns")
        for i in range(count):
            await store.put(ns, f"k{i}", {"i": i})
        seen: list[str] = []
        after: str | None = None
        for _ in range(count):  # bounded: at most one page per entry
            page = await store.scan(ns, after=after, limit=100)
            if not page:
                break
            seen += [k for k, _ in page]
            after = page[-1][0]
        assert seen == [f"k{i}" for i in range(count)]
