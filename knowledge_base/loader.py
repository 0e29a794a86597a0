"""Reads `articles/<topic>/<id>.yml`: a file that does not parse or validate is logged (English, with
its path) and skipped; the rest of the knowledge base still loads."""

import logging
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import ValidationError

from knowledge_base.schema import Article, first_error

log = logging.getLogger(__name__)
ARTICLE_SUFFIXES = (".yml", ".yaml")
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when the wheel has it (10x faster)


@dataclass
class LoadResult:
    articles: dict[str, Article] = field(default_factory=dict)
    paths: dict[str, Path] = field(default_factory=dict)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    folder_missing: bool = False


def is_article_path(path: Path) -> bool:
    return path.suffix in ARTICLE_SUFFIXES and not path.name.startswith(".")


def load_article(path: Path) -> Article:
    """Parse and validate one file; raises ValueError with an English reason."""
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ValueError(f"unreadable YAML ({type(exc).__name__}: {str(exc).splitlines()[0]})") from exc
    if not isinstance(data, dict):
        raise ValueError("the file must hold one mapping (an article)")
    try:
        article = Article.model_validate(data)
    except ValidationError as exc:
        raise ValueError(f"invalid article: {first_error(exc)}") from exc
    if article.id != path.stem:
        raise ValueError(f"id {article.id!r} differs from the file name {path.stem!r}")
    return article


def load_articles(root: Path) -> LoadResult:
    """Every article under root (any depth); bad or duplicate files are reported and skipped."""
    result = LoadResult()
    if not root.is_dir():
        log.warning("knowledge base: article folder %s does not exist; no articles loaded", root)
        result.folder_missing = True
        return result
    for path in sorted(p for p in root.rglob("*") if p.is_file() and is_article_path(p)):
        try:
            article = load_article(path)
        except ValueError as exc:
            reason = str(exc)
        else:
            if article.id not in result.articles:
                result.articles[article.id] = article
                result.paths[article.id] = path
                if path.parent != root and path.parent.name != article.topic:
                    log.info(
                        "knowledge base: %s has topic %r but lies in folder %r", path, article.topic, path.parent.name
                    )
                continue
            reason = f"duplicate id {article.id!r} (already in {result.paths[article.id]})"
        result.errors.append((str(path), reason))
        log.warning("knowledge base: skipped %s: %s", path, reason)
    return result
