-- Grounded drafting (issue #15): what each version stood on and what it says about its sources, team and money.
--
-- `drafting_context` is the DraftingContext as given to the generator (library passages, active roster, rate card
-- in force), written by the gateway in the transaction that asks for the version. `grounding` is what the draft
-- made of it (sources per section, team, effort priced by code, claim flags, budget comparison, and the rates used:
-- each priced role's rate id, hourly rate and currency), written by the gateway's recorder when ProposalDrafted
-- arrives, or with the version itself for an edit. Both are null for versions made before grounding.
ALTER TABLE proposal_versions
    ADD COLUMN drafting_context jsonb,
    ADD COLUMN grounding        jsonb;
