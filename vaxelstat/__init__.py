"""Växelstatistik: call statistics for hosted business switchboards."""
