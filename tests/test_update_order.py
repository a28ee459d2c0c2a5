"""Updates of different chats run side by side; one chat's updates one at a time, in order."""

from __future__ import annotations

import asyncio

from telegram import Chat, Message, Update, User

from bot.update_order import PerChatUpdateProcessor, chat_key


def message_update(update_id: int, chat_id: int) -> Update:
    user = User(chat_id, "X", False)
    message = Message(update_id, None, Chat(chat_id, "private"), from_user=user)  # type: ignore[arg-type]
    return Update(update_id, message=message)


async def test_one_chat_in_order_other_chats_alongside() -> None:
    processor = PerChatUpdateProcessor(running=4)
    events: list[str] = []
    release = asyncio.Event()

    async def handle(name: str, wait: bool) -> None:
        events.append(f"start {name}")
        if wait:
            await release.wait()
        events.append(f"end {name}")

    updates = [(message_update(1, 10), "a1", True), (message_update(2, 10), "a2", False),
               (message_update(3, 20), "b1", False), (message_update(4, 10), "a3", False)]
    tasks = [asyncio.create_task(processor.process_update(u, handle(name, wait)))
             for u, name, wait in updates]
    await asyncio.sleep(0.01)
    # Chat 10 waits for its first update; chat 20 went ahead.
    assert events == ["start a1", "start b1", "end b1"]
    release.set()
    await asyncio.gather(*tasks)
    assert events[3:] == ["end a1", "start a2", "end a2", "start a3", "end a3"]
    assert processor._locks == {}  # nothing kept once a chat is idle


async def test_at_most_running_at_once_and_waiters_take_no_slot() -> None:
    processor = PerChatUpdateProcessor(running=2)
    running = 0
    highest = 0

    async def handle() -> None:
        nonlocal running, highest
        running += 1
        highest = max(highest, running)
        await asyncio.sleep(0.005)
        running -= 1

    # Ten updates of one chat first (an album), then three other chats: these still run
    # while the album waits in line.
    album = [message_update(i, 10) for i in range(10)]
    others = [message_update(100 + i, 20 + i) for i in range(3)]
    order: list[int] = []

    async def noted(update: Update) -> None:
        await handle()
        order.append(update.update_id)

    await asyncio.gather(*(processor.process_update(u, noted(u)) for u in album + others))
    assert highest == 2
    assert [i for i in order if i < 100] == list(range(10))
    assert order.index(100) < order.index(9)  # another chat did not wait for the album


def test_the_chat_key() -> None:
    assert chat_key(message_update(1, 42)) == 42
    assert chat_key(Update(5)) is None
    assert chat_key("not an update") is None
