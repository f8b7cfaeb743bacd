"""Run-time node settings: defaults until written, one value per name, unknown names refused."""

from __future__ import annotations

import pytest

from actors import node_settings
from storage.engine import SessionMaker


async def test_a_setting_reads_its_default_until_written_then_the_stored_value(
    sessions: SessionMaker,
) -> None:
    async with sessions() as session:
        assert await node_settings.read(session, "node.name") == ""
        await node_settings.write(session, "node.name", "Школа № 57")
        await session.commit()
    async with sessions() as session:
        await node_settings.write(session, "node.name", "Школа № 57, Москва")
        await session.commit()
    async with sessions() as session:
        assert await node_settings.read(session, "node.name") == "Школа № 57, Москва"
        values = await node_settings.read_all(session)
    assert values["node.name"] == "Школа № 57, Москва"
    assert values["node.default_language"] == "ru"


async def test_an_undeclared_name_is_refused_both_ways(sessions: SessionMaker) -> None:
    async with sessions() as session:
        with pytest.raises(node_settings.UnknownSetting):
            await node_settings.read(session, "node.nmae")
        with pytest.raises(node_settings.UnknownSetting):
            await node_settings.write(session, "node.nmae", "x")
