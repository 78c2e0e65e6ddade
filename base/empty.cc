// Gives the composite libraries a source of their own; see quartet_component().
