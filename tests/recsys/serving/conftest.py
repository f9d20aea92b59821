import coldkit
import pytest

from animerec.recsys.serving.served import ServedModel


@pytest.fixture(scope="module")
def served(board_model, plant) -> ServedModel:
    """The checkerboard model served over the planted catalog and franchise graph (tests/recsys/conftest.py)."""
    return ServedModel(board_model, *plant())



@pytest.fixture(scope="session")
def cold_plant():
    """(served model, catalog): the checkerboard trained with a catalog that has cold titles (tests/coldkit.py)."""
    return coldkit.cold_plant()
