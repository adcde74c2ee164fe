"""Metric names of a run record, named once (``RunRecord.metric(NAME)``, the JSON's ``metrics``; history entries too)."""

from __future__ import annotations

TEST_ACC = "test_acc"  # final-epoch top-1 on the test split, %
TEST_ACC_BEST = "test_acc_best"  # best-epoch top-1 on the test split, % (the core records it)
TEST_LOSS = "test_loss"
TRAIN_LOSS = "train_loss"
TRAIN_ACC = "train_acc"

DEFAULT_METRIC = TEST_ACC  # what checks compare unless a check table names another
