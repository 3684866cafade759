//! The four kinds of topic, their statuses and the moves between them, and feelings.
//! Stored as text; this is where text becomes a type.

use serde::Serialize;

/// What a customer came with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Question,
    Problem,
    Idea,
    Praise,
}

impl Kind {
    pub const ALL: [Kind; 4] = [Kind::Question, Kind::Problem, Kind::Idea, Kind::Praise];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Question => "question",
            Kind::Problem => "problem",
            Kind::Idea => "idea",
            Kind::Praise => "praise",
        }
    }

    pub fn parse(text: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// Every status a topic of this kind can have, the first being where it starts.
    pub fn statuses(self) -> &'static [Status] {
        use Status::*;
        match self {
            Kind::Question => &[Open, Answered, Closed],
            Kind::Problem => &[Open, Acknowledged, InProgress, Solved, NotAProblem, Closed],
            Kind::Idea => &[
                Open,
                UnderConsideration,
                Planned,
                Implemented,
                NotPlanned,
                Closed,
            ],
            Kind::Praise => &[Open, Closed],
        }
    }

    pub fn initial_status(self) -> Status {
        Status::Open
    }
}

/// Where a topic stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Open,
    Answered,
    Acknowledged,
    InProgress,
    Solved,
    NotAProblem,
    UnderConsideration,
    Planned,
    Implemented,
    NotPlanned,
    Closed,
}

impl Status {
    pub const ALL: [Status; 11] = [
        Status::Open,
        Status::Answered,
        Status::Acknowledged,
        Status::InProgress,
        Status::Solved,
        Status::NotAProblem,
        Status::UnderConsideration,
        Status::Planned,
        Status::Implemented,
        Status::NotPlanned,
        Status::Closed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Answered => "answered",
            Status::Acknowledged => "acknowledged",
            Status::InProgress => "in_progress",
            Status::Solved => "solved",
            Status::NotAProblem => "not_a_problem",
            Status::UnderConsideration => "under_consideration",
            Status::Planned => "planned",
            Status::Implemented => "implemented",
            Status::NotPlanned => "not_planned",
            Status::Closed => "closed",
        }
    }

    pub fn parse(text: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Whether the topic's loop is closed: lists of work to do leave it out.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            Status::Answered
                | Status::Solved
                | Status::NotAProblem
                | Status::Implemented
                | Status::NotPlanned
                | Status::Closed
        )
    }

    /// Whether `kind` may be in this status at all.
    pub fn fits(self, kind: Kind) -> bool {
        kind.statuses().contains(&self)
    }
}

/// How the customer feels (GetSatisfaction's emotitag): a face and a word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Feeling {
    Happy,
    Thankful,
    Confused,
    Frustrated,
    Angry,
    Sad,
}

impl Feeling {
    pub const ALL: [Feeling; 6] = [
        Feeling::Happy,
        Feeling::Thankful,
        Feeling::Confused,
        Feeling::Frustrated,
        Feeling::Angry,
        Feeling::Sad,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Feeling::Happy => "happy",
            Feeling::Thankful => "thankful",
            Feeling::Confused => "confused",
            Feeling::Frustrated => "frustrated",
            Feeling::Angry => "angry",
            Feeling::Sad => "sad",
        }
    }

    pub fn parse(text: &str) -> Option<Feeling> {
        Feeling::ALL.into_iter().find(|f| f.as_str() == text)
    }

    pub fn face(self) -> &'static str {
        match self {
            Feeling::Happy => "😊",
            Feeling::Thankful => "🙏",
            Feeling::Confused => "😕",
            Feeling::Frustrated => "😣",
            Feeling::Angry => "😠",
            Feeling::Sad => "😢",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_starts_open_and_has_its_own_statuses() {
        for kind in Kind::ALL {
            assert_eq!(kind.initial_status(), Status::Open);
            assert!(Status::Closed.fits(kind));
        }
        assert!(Status::Answered.fits(Kind::Question));
        assert!(!Status::Answered.fits(Kind::Problem));
        assert!(Status::Implemented.fits(Kind::Idea));
        assert!(!Status::Solved.fits(Kind::Praise));
    }

    #[test]
    fn text_round_trips() {
        for kind in Kind::ALL {
            assert_eq!(Kind::parse(kind.as_str()), Some(kind));
        }
        for status in Status::ALL {
            assert_eq!(Status::parse(status.as_str()), Some(status));
        }
        for feeling in Feeling::ALL {
            assert_eq!(Feeling::parse(feeling.as_str()), Some(feeling));
        }
        assert_eq!(Kind::parse("Question"), None);
    }
}
