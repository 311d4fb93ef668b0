"""Catalog: product and content search over the shop's synced data."""
