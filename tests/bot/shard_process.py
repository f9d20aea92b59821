"""One bot process for the shard tests in tests/bot/models/test_models_holder.py: the service on the settings
of its environment, driven by JSON lines on stdin, each answered (by its "id") with a JSON line on stdout,
concurrently."""

import asyncio
import json
import sys

from animerec.bot.service import UserError, open_service
from animerec.bot.settings import Settings
from animerec.recsys.catalog.catalog import id_text


async def main() -> None:
    service = await open_service(Settings(_env_file=None))
    out = sys.stdout

    def say(**fields) -> None:
        out.write(json.dumps(fields) + "\n")
        out.flush()

    async def handle(command: dict) -> None:
        op = command["op"]
        if op == "version":
            say(id=command["id"], version=service.models.model_version)
        elif op == "rate":  # many members at once; answered once every rating is acknowledged
            rates = [service.ratings.rate(u, id_text(a), str(s)) for u, a, s in command["ratings"]]
            results = await asyncio.gather(*rates, return_exceptions=True)
            say(id=command["id"], acknowledged=sum(not isinstance(r, BaseException) for r in results),
                errors=sorted({repr(r) for r in results if isinstance(r, BaseException)}))
        elif op == "retrain":
            try:
                record = await service.models.retrain()
                say(id=command["id"], status=record.status, version=record.version, error=record.error)
            except UserError as exc:
                say(id=command["id"], status="refused", error=str(exc))

    say(id="ready", version=service.models.model_version)
    loop = asyncio.get_running_loop()
    tasks = set()
    try:
        while line := await loop.run_in_executor(None, sys.stdin.readline):
            task = asyncio.create_task(handle(json.loads(line)))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        await asyncio.gather(*tasks)
    finally:
        await service.close()


if __name__ == "__main__":
    asyncio.run(main())
