"""The README's Python blocks run, in order, as a user would paste them."""

import re
from pathlib import Path

README = Path(__file__).parents[1] / "README.md"


def test_readme_python_blocks_run():
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert blocks, "README.md has no python blocks"
    namespace = {}
    for block in blocks:
        exec(compile(block, str(README), "exec"), namespace)
    assert namespace["rg"].coarse_lattice_shape_ == (8, 8)
    assert namespace["H"].shape == (1500, 256)
