"""Places of Beijing: the gazetteer (16 districts, their streets/towns, the names citizens use)
and address resolution from free text to district and street."""
