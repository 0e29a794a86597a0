"""Build step of deploy/gateway.Dockerfile: what `hotline train` prepares for the gateway (runtime/
stack.py:prepare_models) without the Rasa model, which the engine image trains. Replicas started
from the image then only load these files instead of each embedding the same phrasings."""

from core.settings import Settings
from knowledge_base.wiring import prepare_cache
from safety.training import build_detector
from tickets.category_catalog import CategoryCatalog
from tickets.classifier_cache import dense_embedder, load_or_train, load_or_train_request_types


def main() -> None:
    settings = Settings()
    embedder = dense_embedder(settings)
    load_or_train(CategoryCatalog.load(), embedder)
    load_or_train_request_types()
    build_detector(embedder)
    prepare_cache(settings)


if __name__ == "__main__":
    main()
