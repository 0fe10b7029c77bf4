# The desk's front door. `make render` and `make test` work on a fresh machine with only
# python3 and make: the first call creates .venv from the hashed lock, requirements.txt.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The installer's version, from its hashed lock (requirements-uv.txt).
UV_VERSION := $(shell sed -n 's/^uv==\([^ ]*\).*/\1/p' requirements-uv.txt)
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-uv.txt pyproject.toml | $(PYTHON) -c "import hashlib,sys;print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest()[:12])")
NOTEBOOKS := $(sort $(wildcard notebooks/*.ipynb))
# npm ci records what it installed here: axe-core for the browser tests, from the lock.
NODE_STAMP := node_modules/.package-lock.json

# JupyterLab lives in its own environment; its kernels come from .venv.
LAB_VENV := .venv-lab
LAB_STAMP := $(LAB_VENV)/.installed-$(shell $(PYTHON) -c "import hashlib,sys;print(hashlib.sha256(open('requirements-lab.txt','rb').read()).hexdigest()[:12])")
# Inside a container reporters often are root, and Jupyter refuses root without the flag.
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)

.DEFAULT_GOAL := help
.PHONY: help venv node render test test-fast lab preview lint format lock bench update fetch refresh-checks font mutation clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-15s %s\n", $$1, $$2}'

# `uv pip sync` makes .venv exactly the lock: packages that left it are removed (uv keeps
# itself). Bytecode is compiled at install, so imports never compile sources, also where
# PYTHONDONTWRITEBYTECODE is set. Two kernelspecs: the project's, and its warm twin that
# renders use (forked from a zygote that has imported the libraries, src/entitylist/engine/kernels.py).
# Every installed thing is pinned with a hash: uv itself (pip --require-hashes), the locked
# packages, and the build backend of the editable install (setuptools, from the lock, used
# without build isolation so the build downloads nothing).
$(STAMP): requirements.txt requirements-uv.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	test "$$($(BIN)/uv --version 2>/dev/null | cut -d' ' -f2)" = $(UV_VERSION) || \
		$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes \
			--no-deps -r requirements-uv.txt
	$(BIN)/uv pip sync --quiet --python $(BIN)/python --require-hashes --compile-bytecode \
		requirements.txt
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps --no-build-isolation -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name entitylist \
		--display-name "Entity List (project)" >/dev/null
	$(BIN)/python -m entitylist.engine.kernels install
	rm -f $(VENV)/.installed-* && touch $@

venv: $(STAMP) ## create or update .venv from the lock

$(NODE_STAMP): package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund

node: $(NODE_STAMP) ## install the browser tests' axe-core from package-lock.json (npm ci)

render: $(STAMP) ## execute the notebooks and publish site/ (ARGS="--as-of 2019-10-09" etc.)
	$(BIN)/python -m entitylist render $(ARGS)

# The browser tests read the current site and the as-of build of the listing day.
TEST_AS_OF := 2019-10-09

test: lint render $(NODE_STAMP) ## lint, render (and as of TEST_AS_OF), run the whole suite (PYTEST_ARGS="-k story" to narrow it)
	$(BIN)/python -m entitylist render --quiet --as-of $(TEST_AS_OF)
	$(BIN)/python -m pytest tests $(NOTEBOOKS) --nbval-lax $(PYTEST_ARGS)

test-fast: $(STAMP) ## unit tests only, no notebook execution or browser
	$(BIN)/python -m pytest tests -m "not browser and not notebooks" $(PYTEST_ARGS)

$(LAB_STAMP): requirements-lab.txt $(STAMP)
	test -x $(LAB_VENV)/bin/python || $(PYTHON) -m venv $(LAB_VENV)
	$(BIN)/uv pip sync --quiet --python $(LAB_VENV)/bin/python --require-hashes \
		--compile-bytecode requirements-lab.txt
	rm -f $(LAB_VENV)/.installed-* && touch $@

# The server comes from .venv-lab, the kernels from .venv (JUPYTER_PATH): notebooks open on
# the project kernel, and a run without output_root writes to build/scratch, never the
# published outputs. LAB_ARGS passes more options, e.g. LAB_ARGS="--port 8890 --no-browser".
lab: $(STAMP) $(LAB_STAMP) ## JupyterLab on the notebooks, project kernel by default (LAB_ARGS=...)
	git config filter.notebook-strip.clean "$(BIN)/python -m entitylist.engine.checks --strip"
	git config filter.notebook-strip.smudge cat
	JUPYTER_PATH=$(CURDIR)/$(VENV)/share/jupyter $(LAB_VENV)/bin/jupyter lab \
		--notebook-dir=notebooks --MappingKernelManager.default_kernel_name=entitylist \
		--KernelSpecManager.allowed_kernelspecs=entitylist $(ALLOW_ROOT) $(LAB_ARGS)

preview: $(STAMP) ## serve site/ on 127.0.0.1:8000, re-render on every save, reload the page (PORT=...)
	$(BIN)/python -m entitylist preview --port $(or $(PORT),8000)

lint: $(STAMP) ## check style with ruff, and the GitHub workflows with zizmor
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/zizmor --offline --quiet .github/workflows

format: $(STAMP) ## format with ruff
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

lock: $(STAMP) ## re-pin requirements.txt, requirements-lab.txt and requirements-uv.txt (with hashes)
	$(BIN)/uv pip compile --quiet --python-version 3.11 --generate-hashes \
		--output-file requirements-uv.txt requirements-uv.in
	$(BIN)/uv pip compile --quiet --python-version 3.11 --generate-hashes \
		--output-file requirements.txt requirements.in
	$(BIN)/uv pip compile --quiet --python-version 3.11 --generate-hashes \
		--output-file requirements-lab.txt requirements-lab.in

bench: $(STAMP) ## run the benchmark on a scratch copy; results in build/bench (ARGS=--record: bench/)
	$(BIN)/python -m bench $(ARGS)

update: $(STAMP) ## take in a changed source pack: make update PACK=../shared/data [ARGS=--allow-removals]
	@test -n "$(PACK)" || { echo "usage: make update PACK=<folder of the source pack>"; exit 2; }
	$(BIN)/python -m entitylist update "$(PACK)" $(ARGS)

fetch: $(STAMP) ## download a new raw snapshot from the live sources (needs the network; ARGS=--allow-removals)
	$(BIN)/python -m entitylist fetch $(ARGS)

refresh-checks: $(STAMP) ## store the NBVAL_CHECK_OUTPUT values in the notebooks after a data change
	$(BIN)/python -m entitylist.engine.checks $(NOTEBOOKS)

font: $(STAMP) ## rebuild the shipped font subsets (OpenType, WOFF2) after new Chinese text in data/raw
	$(BIN)/python -m entitylist.pages.fonts

# The functions whose bugs publish wrong pages: the guard, the as-of view, known-since dating,
# the plan, the release, the update path, the downloads. mutmut (pinned in the lock) copies
# the tree to mutants/ and runs the unit tests each mutant touches; see README, "Tests".
MUTANTS := "entitylist.pages.guard.*" "entitylist.data.asof.*" "entitylist.downloads.*" \
	"entitylist.engine.plan.*" "entitylist.engine.globs.*" "entitylist.tables.x_known_by*" "entitylist.tables.x_entries_as_of*" \
	"entitylist.tables.x_as_of_filter*" "entitylist.data.cleaning.x_latest_date_in*" \
	"entitylist.data.cleaning.x_day_of*" "entitylist.data.cleaning.x_prospectus_day*" \
	"entitylist.data.cleaning.x_source_day*" "entitylist.data.cleaning.x_results_day*" \
	"entitylist.data.cleaning.x_known_since__*" "entitylist.data.cleaning.x_parse_periods*" \
	"entitylist.engine.release.x_publish*" "entitylist.engine.release.x_finish*" \
	"entitylist.engine.release.x_swap_folder*" "entitylist.engine.release.x_flip_site*" \
	"entitylist.engine.release.x_exchange_by_renames*" "entitylist.engine.release.x_remove_strays*" \
	"entitylist.data.update.x_compare*" "entitylist.data.update.x_vet*" "entitylist.data.update.x_take_in*" \
	"entitylist.data.update.x_count_change*" "entitylist.data.update.x_renames*" \
	"entitylist.data.update.x_consents*" "entitylist.data.update.x_write_snapshot*" \
	"entitylist.data.manifest.x_consented*" "entitylist.data.manifest.x_finish*" \
	"entitylist.data.manifest.x_commit*" "entitylist.data.manifest.x_check_chains*" \
	"entitylist.data.schemas.x_current*" "entitylist.data.schemas.x_unknown_exactly_when_blank*" \
	"entitylist.data.schemas.x_shares_within_0_100*" "entitylist.data.schemas.x_percent_exactly_for_shares*" \
	"entitylist.data.schemas.x_known_after_period_end*" "entitylist.data.schemas.x_china_exactly_when_cn*" \
	"entitylist.data.schemas.x_hong_kong_exactly_when_hk*" \
	"entitylist.data.schemas.x_none_exactly_when_uncited*" "entitylist.data.schemas.x_year_is_volume_plus_1935*"

mutation: $(STAMP) ## mutation-test the guard, as-of, dating, plan, release, update path, schemas, downloads; table in build/mutation.md
	rm -rf mutants && mkdir -p build
	@date -u +"started %T UTC"
	$(BIN)/mutmut run --max-children 2 $(MUTANTS) > build/mutation.log 2>&1 || true
	@date -u +"finished %T UTC"
	$(BIN)/mutmut results | grep -v 'not checked' || true
	$(BIN)/python tests/mutation_report.py $(MUTANTS) | tee build/mutation.md

clean: ## remove build outputs (keeps data/processed and charts, which are committed)
	rm -rf build site .pytest_cache node_modules
