"""Readers for the file formats people drop: CSV tables, e-invoice XML, PDF."""
