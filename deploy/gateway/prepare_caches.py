"""Build step of deploy/gateway.Dockerfile: the gateways' caches that `hotline train` prepares,
without the Rasa model, which the engine image trains. Replicas started from the image then only
load these files instead of each embedding the same phrasings."""

from core.settings import Settings
from runtime.prepare import prepare_gateway_caches

if __name__ == "__main__":
    prepare_gateway_caches(Settings())
