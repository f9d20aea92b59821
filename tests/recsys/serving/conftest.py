import pytest

from animerec.recsys.serving.served import ServedModel


@pytest.fixture(scope="module")
def served(board_model, plant) -> ServedModel:
    """The checkerboard model served over the planted catalog and franchise graph (tests/recsys/conftest.py)."""
    return ServedModel(board_model, *plant())
