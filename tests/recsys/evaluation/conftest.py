import numpy as np
import pytest

from animerec.recsys.data import load_interactions
from animerec.recsys.evaluation.protocols import evaluate
from animerec.recsys.model import ModelConfig


@pytest.fixture(scope="session")
def evaluation_sample():
    """The interactions of 400 members of the bundled data: a full evaluation of it takes about a minute."""
    df = load_interactions()
    users = np.sort(df["user_id"].unique())[:400]
    return df[df["user_id"].isin(users)]


@pytest.fixture(scope="session")
def results(evaluation_sample):
    # One EDLAE grid point: each is a dense inversion, and the grid is tuning, not what is tested.
    return evaluate(evaluation_sample, ["p80"], seed=0, config=ModelConfig.small(), edlae_grid=((0.25, 30.0),))
