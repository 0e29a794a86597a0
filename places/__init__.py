"""Places of Beijing: the gazetteer (16 districts, their streets/towns, the names citizens use,
the landmarks they name instead of an address), address resolution from free text to district
and street, and its evaluation on the project's own phrasings."""
