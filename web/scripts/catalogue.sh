#!/usr/bin/env bash
# Extracts every text of the web application (templates and code) and merges new ones into the
# French, Arabic and English catalogues; translate the new entries, then run the tests (a test
# fails while any text is untranslated).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
LOCALES=src/work4life/web/locales
uv run --frozen pybabel extract --no-location --omit-header --sort-output -F babel.cfg -k N_ -o "$LOCALES/messages.pot" src
for lang in fr ar en; do
  po="$LOCALES/$lang/LC_MESSAGES/messages.po"
  if [[ -f "$po" ]]; then
    uv run --frozen pybabel update --ignore-obsolete --no-fuzzy-matching --omit-header -i "$LOCALES/messages.pot" -d "$LOCALES" -l "$lang"
  else
    uv run --frozen pybabel init -i "$LOCALES/messages.pot" -d "$LOCALES" -l "$lang"
  fi
done
