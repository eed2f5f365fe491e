# The course's front door. Every target prints the raw commands it runs;
# the README lists them too, for anyone without make.
#
#   make lab     set up (first time only) and open JupyterLab on notebooks/
#   make test    set up (first time only) and run the whole test suite
#   make slides  build the static reveal.js decks in slides/ from the notebooks
#   make data    fetch and verify Fashion-MNIST (Debian's copy, or a download)
#   make clean   remove the .venv and build caches (never notebooks or data)

PYTHON ?= python3
KERNEL := mlp-course
# An active conda env (other than base) is used as it is; otherwise a local .venv.
ifneq ($(filter-out base,$(CONDA_DEFAULT_ENV)),)
ENV := $(CONDA_PREFIX)
else
ENV := .venv
endif
BIN := $(ENV)/bin
INSTALLED := $(ENV)/.mlp-course-installed

.PHONY: install lab test slides data clean
.DEFAULT_GOAL := lab

install: $(INSTALLED)

$(INSTALLED): requirements.txt
	@$(if $(wildcard $(BIN)/python),$(BIN)/python,$(PYTHON)) .ci/check_python.py
	test -x $(BIN)/python || $(PYTHON) -m venv $(ENV)
	$(BIN)/python -m pip install -r requirements.txt
	$(BIN)/python -m pip install --no-deps d2l==1.0.3
	$(BIN)/python -m ipykernel install --sys-prefix --name $(KERNEL) --display-name "MLP course" \
	    --env TF_USE_LEGACY_KERAS 1 --env TF_CPP_MIN_LOG_LEVEL 2
	$(BIN)/python .ci/quiet_kernel.py $(ENV)/share/jupyter/kernels/$(KERNEL)/kernel.json
	-$(BIN)/python slides/build.py --fetch
	touch $@

data: install
	$(BIN)/python notebooks/utils.py

lab: data
	$(BIN)/jupyter lab --ip=127.0.0.1 $(if $(filter 0,$(shell id -u)),--allow-root) notebooks/

test: data
	$(BIN)/python -m ruff check notebooks tests slides .ci
	$(BIN)/python -m pytest

slides: install
	$(BIN)/python slides/build.py

clean:
	rm -rf .venv .pytest_cache .ruff_cache slides/vendor slides/screenshots
