"""考核评价 — indicator systems, AHP/entropy weights, TOPSIS, explained scores."""
