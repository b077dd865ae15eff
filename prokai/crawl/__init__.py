"""The crawler: campaigns that converse with shops as a buyer until they name where to pay."""
